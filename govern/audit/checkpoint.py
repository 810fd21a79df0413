"""Signed checkpoints: C2SP tlog-checkpoint in C2SP signed-note form, Ed25519 keys.

A checkpoint pins the whole record up to a size::

    <origin>
    <size>
    <base64 root>

    — <key name> <base64(4-byte key id ‖ 64-byte Ed25519 signature)>

The note text is the three lines (each ending in a newline); the signature covers
exactly that text. Keys use the signed-note encodings, so tools built on
golang.org/x/mod/sumdb/note read them too:

- verifier key ``<name>+<hex key id>+<base64(0x01 ‖ 32-byte public key)>`` (publish this);
- signer key ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 ‖ 32-byte seed)>`` (keep this secret);
- key id = the first 4 bytes (big-endian) of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).

Verifying follows the signed-note rules: signatures by other keys are ignored; a
signature by our key (same name and id) must verify, and at least one must.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PrivateFormat, PublicFormat, NoEncryption

ALG_ED25519 = 0x01
#: Notes with more signatures than this are refused (the spec asks for at least 16).
MAX_SIGNATURES = 100
#: Checkpoints are small; refuse anything absurdly large before parsing.
MAX_NOTE_BYTES = 1 << 16

_DASH = "\u2014"
_NAME_RE = re.compile(r"[^\s+]+")
_SIZE_RE = re.compile(r"0|[1-9][0-9]*")
_HEX8_RE = re.compile(r"[0-9a-f]{8}")


class CheckpointError(ValueError):
    """A key, note or checkpoint is malformed, or its signature does not hold."""


def _b64decode(text: str, what: str) -> bytes:
    """Strict standard base64: the text must be exactly what encoding the bytes gives back."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise CheckpointError(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise CheckpointError(f"{what} is not in canonical base64")
    return raw


def _check_name(name: str) -> None:
    if not _NAME_RE.fullmatch(name):
        raise CheckpointError(f"key name {name!r} must be non-empty, without spaces or '+'")


def key_id(name: str, public_key: bytes) -> int:
    """The signed-note key id of an Ed25519 key."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


@dataclass(frozen=True)
class Verifier:
    name: str
    key_id: int
    public_key: bytes

    @classmethod
    def from_string(cls, vkey: str) -> Verifier:
        """Parse ``<name>+<hex id>+<base64(0x01 ‖ public key)>``."""
        parts = vkey.strip().split("+", 2)  # base64 may itself contain "+"
        if len(parts) != 3:
            raise CheckpointError("a verifier key has the form <name>+<hex key id>+<base64 key>")
        name, hex_id, b64 = parts
        _check_name(name)
        if not _HEX8_RE.fullmatch(hex_id):
            raise CheckpointError("the key id in a verifier key must be 8 lowercase hex digits")
        raw = _b64decode(b64, "verifier key")
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise CheckpointError("verifier key is not an Ed25519 signed-note key")
        if key_id(name, raw[1:]) != int(hex_id, 16):
            raise CheckpointError("verifier key id does not match its name and public key")
        return cls(name, int(hex_id, 16), raw[1:])

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, repr=False)
class Signer:
    name: str
    key_id: int
    seed: bytes

    def __repr__(self) -> str:  # never print the secret
        return f"Signer(name={self.name!r}, key_id={self.key_id:08x})"

    @classmethod
    def from_string(cls, skey: str) -> Signer:
        """Parse ``PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>``."""
        parts = skey.strip().split("+", 4)  # base64 may itself contain "+"
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise CheckpointError("a signer key has the form PRIVATE+KEY+<name>+<hex key id>+<base64 key>")
        name, hex_id, b64 = parts[2:]
        _check_name(name)
        if not _HEX8_RE.fullmatch(hex_id):
            raise CheckpointError("the key id in a signer key must be 8 lowercase hex digits")
        raw = _b64decode(b64, "signer key")
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise CheckpointError("signer key is not an Ed25519 signed-note key")
        signer = cls(name, int(hex_id, 16), raw[1:])
        if key_id(name, signer.public_key) != signer.key_id:
            raise CheckpointError("signer key id does not match its name and key")
        return signer

    @property
    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def public_key(self) -> bytes:
        return self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key_id, self.public_key)

    def to_string(self) -> str:
        """The private key file contents (keep secret)."""
        encoded = base64.b64encode(bytes([ALG_ED25519]) + self.seed).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{encoded}"

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)


def generate_key(name: str) -> tuple[str, str]:
    """A new key pair as ``(signer key string, verifier key string)``."""
    _check_name(name)
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    signer = Signer(name, key_id(name, public), seed)
    return signer.to_string(), str(signer.verifier)


# -- signed notes -----------------------------------------------------------------------


def _check_text(text: str, what: str) -> None:
    if any(c < " " and c != "\n" for c in text):
        raise CheckpointError(f"{what} contains a control character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise CheckpointError(f"{what} is not valid UTF-8") from None


def sign_note(text: str, signer: Signer | str) -> str:
    """Sign ``text`` (which must end in a newline) and return the signed note."""
    if isinstance(signer, str):
        signer = Signer.from_string(signer)
    _check_text(text, "note text")
    if not text.endswith("\n"):
        raise CheckpointError("note text must end in a newline")
    sig = signer.key_id.to_bytes(4, "big") + signer.sign(text.encode("utf-8"))
    return f"{text}\n{_DASH} {signer.name} {base64.b64encode(sig).decode('ascii')}\n"


def open_note(note: str | bytes, verifier: Verifier | str) -> str:
    """Return the note text if ``verifier`` signed it; raise :class:`CheckpointError` otherwise."""
    if isinstance(verifier, str):
        verifier = Verifier.from_string(verifier)
    if isinstance(note, bytes):
        if len(note) > MAX_NOTE_BYTES:
            raise CheckpointError("note is too large")
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise CheckpointError("note is not valid UTF-8") from None
    if len(note) > MAX_NOTE_BYTES:
        raise CheckpointError("note is too large")
    _check_text(note, "note")
    if not note.endswith("\n"):
        raise CheckpointError("note must end in a newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("note has no blank line before its signatures")
    text, sig_block = note[: split + 1], note[split + 2 :]
    lines = sig_block[:-1].split("\n")
    if not lines or lines == [""]:
        raise CheckpointError("note has no signatures")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError("note has too many signatures")
    message = text.encode("utf-8")
    verified = False
    for line in lines:
        if not line.startswith(_DASH + " "):
            raise CheckpointError("malformed signature line (expected '— <name> <signature>')")
        fields = line[2:].split(" ")
        if len(fields) != 2:
            raise CheckpointError("malformed signature line (expected '— <name> <signature>')")
        name, b64 = fields
        _check_name(name)
        sig = _b64decode(b64, "signature")
        if len(sig) < 5:
            raise CheckpointError("signature is too short")
        if name != verifier.name or int.from_bytes(sig[:4], "big") != verifier.key_id:
            continue  # someone else's signature (a witness, a rotated key): ignored, as the spec says
        if len(sig) != 4 + 64 or not verifier.verify(message, sig[4:]):
            raise CheckpointError(f"the signature by {verifier.name} does not verify")
        verified = True
    if not verified:
        raise CheckpointError(f"the note is not signed by the key {verifier.name}+{verifier.key_id:08x}")
    return text


# -- checkpoints ------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    #: Extension lines, if any (we write none; they are not covered by the Merkle tree).
    extensions: tuple[str, ...] = ()

    @property
    def root_hex(self) -> str:
        return self.root.hex()


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    """The unsigned note text of a checkpoint."""
    if not origin or "\n" in origin:
        raise CheckpointError("origin must be one non-empty line")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise CheckpointError("size must be a non-negative integer")
    if len(root) != 32:
        raise CheckpointError("root must be a 32-byte hash")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\n"


def sign_checkpoint(origin: str, size: int, root: bytes, signer: Signer | str) -> str:
    """The signed checkpoint note for the tree of ``size`` leaves with ``root``."""
    return sign_note(checkpoint_text(origin, size, root), signer)


def parse_checkpoint_text(text: str) -> Checkpoint:
    """Parse the note text of a checkpoint (no signature check)."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint text must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("a checkpoint has at least three lines: origin, size, root")
    origin, size_text, root_b64, *extensions = lines
    if not origin:
        raise CheckpointError("checkpoint origin is empty")
    if not _SIZE_RE.fullmatch(size_text):
        raise CheckpointError(f"checkpoint size {size_text!r} is not a decimal number")
    root = _b64decode(root_b64, "checkpoint root")
    if len(root) != 32:
        raise CheckpointError("checkpoint root is not a 32-byte hash")
    if any(not line for line in extensions):
        raise CheckpointError("checkpoint has an empty extension line")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def verify_checkpoint(note: str | bytes, verifier: Verifier | str, expected_origin: str) -> Checkpoint:
    """Check the signature and the origin; return the checkpoint, or raise :class:`CheckpointError`."""
    checkpoint = parse_checkpoint_text(open_note(note, verifier))
    if checkpoint.origin != expected_origin:
        raise CheckpointError(f"checkpoint is for {checkpoint.origin!r}, not {expected_origin!r}")
    return checkpoint


def parse_checkpoint(note: str | bytes) -> Checkpoint:
    """Read a signed checkpoint WITHOUT checking its signature (for reports; never trust the result)."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise CheckpointError("note is not valid UTF-8") from None
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("note has no blank line before its signatures")
    return parse_checkpoint_text(note[: split + 1])
