"""The audit bundle: everything an auditor needs, in one zip file.

Layout (all text is UTF-8; JSON files are canonical JSON)::

    MANIFEST.json           {"format": "govern-audit-bundle", "version": 1, "origin": "<log origin>",
                             "entry_count": N, "head": "<hex hash of entry N, or 64 zeros when empty>"}
    entries.jsonl           the N entry bodies, byte for byte as hashed, each followed by "\\n"
    checkpoints/<size>.note every signed checkpoint (C2SP tlog-checkpoint, signed note); a second
                            note of the same size is written as <size>.2.note, and so on
    public-key.txt          the cooperative's verifier key, "<name>+<hex id>+<base64 key>\\n"
    votes/<id>/count.json   the counting document {"rule", "params", "profile"} that
                            govern.tally.rules.recount(document) recounts
    votes/<id>/outcome.json the outcome bytes the server recorded
    votes/<id>/vote.json    {"id", "electorate_digest", "participation_count", "ballot_count",
                             "ballot_box_root", "closed_seq"} — closed_seq is the seq of the
                            "vote.closed" entry that recorded the outcome
    <extra files>           anything else the exporter adds (a README, the rules text ...)

The writer does not judge what it writes (the verifier does, and the attack tests
need to write broken bundles); it only refuses what cannot be written unambiguously.
Files are stored in a fixed order with a fixed date, so the same input gives the
same zip bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import canonical

FORMAT = "govern-audit-bundle"
VERSION = 1
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_VOTE_ID_RE = re.compile(r"[A-Za-z0-9_.-]+")
_CHECKPOINT_RE = re.compile(r"checkpoints/([0-9]+)(?:\.([0-9]+))?\.note")
_VOTE_FILE_RE = re.compile(r"votes/([^/]+)/(count|outcome|vote)\.json")
RESERVED = ("MANIFEST.json", "entries.jsonl", "public-key.txt")
#: Refuse to read bundles that would unpack to more than this (a zip bomb is unusable input).
MAX_UNPACKED_BYTES = 4 << 30


class BundleError(ValueError):
    """The bundle cannot be read (not a zip, a required file missing, a malformed manifest)."""


@dataclass
class VoteFiles:
    id: str
    count: bytes | None = None
    outcome: bytes | None = None
    vote: bytes | None = None


@dataclass
class Bundle:
    manifest: dict[str, Any]
    entries: list[bytes]
    #: (file name, note text) in file-name order.
    checkpoints: list[tuple[str, str]]
    public_key: str
    votes: dict[str, VoteFiles] = field(default_factory=dict)
    extra_files: dict[str, bytes] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return str(self.manifest.get("origin", ""))


def _as_bytes(value: bytes | Mapping[str, Any] | list[Any], what: str) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    try:
        return canonical.encode(value)
    except canonical.NotCanonical as exc:
        raise ValueError(f"{what}: {exc}") from None


def _checkpoint_size(note: str) -> int:
    lines = note.split("\n")
    if len(lines) < 2 or not lines[1].isdigit():
        raise ValueError("a checkpoint note must have its size on the second line")
    return int(lines[1])


def write_bundle(
    path_or_file: str | Path | IO[bytes],
    *,
    origin: str,
    entries: Iterable[bytes],
    checkpoints: Iterable[str],
    public_key: str,
    votes: Iterable[Mapping[str, Any]] = (),
    extra_files: Mapping[str, bytes] = {},  # noqa: B006 - read only
) -> None:
    """Write an audit bundle.

    ``votes`` items are mappings with ``id``, ``count`` (the counting document, as a
    mapping or its canonical bytes), ``outcome`` (the recorded outcome bytes) and
    ``vote`` (the vote metadata mapping, see the module docstring).
    """
    bodies = []
    last = b""
    for body in entries:
        body = bytes(body)
        if b"\n" in body:
            raise ValueError(f"entry {len(bodies) + 1} contains a newline and cannot be one line of entries.jsonl")
        bodies.append(body)
        last = body
    head = hashlib.sha256(b"\x00" + last).hexdigest() if bodies else "0" * 64
    files: dict[str, bytes] = {}
    files["MANIFEST.json"] = canonical.encode(
        {"format": FORMAT, "version": VERSION, "origin": origin, "entry_count": len(bodies), "head": head}
    )
    files["entries.jsonl"] = b"".join(body + b"\n" for body in bodies)
    seen: dict[int, int] = {}
    for note in checkpoints:
        size = _checkpoint_size(note)
        seen[size] = seen.get(size, 0) + 1
        name = f"checkpoints/{size}.note" if seen[size] == 1 else f"checkpoints/{size}.{seen[size]}.note"
        files[name] = note.encode("utf-8")
    files["public-key.txt"] = public_key.strip().encode("utf-8") + b"\n"
    for vote in votes:
        vote_id = str(vote["id"])
        if not _VOTE_ID_RE.fullmatch(vote_id):
            raise ValueError(f"vote id {vote_id!r} cannot be a folder name")
        folder = f"votes/{vote_id}/"
        if folder + "vote.json" in files:
            raise ValueError(f"vote {vote_id} appears twice")
        files[folder + "count.json"] = _as_bytes(vote["count"], f"vote {vote_id} count")
        files[folder + "outcome.json"] = _as_bytes(vote["outcome"], f"vote {vote_id} outcome")
        files[folder + "vote.json"] = _as_bytes(vote["vote"], f"vote {vote_id} metadata")
    for name, data in extra_files.items():
        if name in files or name in RESERVED or name.startswith(("checkpoints/", "votes/")) or ".." in name:
            raise ValueError(f"extra file {name!r} would clash with the bundle layout")
        files[name] = bytes(data)

    def write(zf: zipfile.ZipFile) -> None:
        for name in sorted(files, key=lambda n: (n != "MANIFEST.json", n)):
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name])

    with zipfile.ZipFile(path_or_file, "w") as zf:  # type: ignore[arg-type]
        write(zf)


def read_bundle(path_or_file: str | Path | IO[bytes] | bytes) -> Bundle:
    """Read a bundle; raise :class:`BundleError` when it is not usable at all."""
    if isinstance(path_or_file, (bytes, bytearray)):
        path_or_file = io.BytesIO(path_or_file)
    try:
        zf = zipfile.ZipFile(path_or_file)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleError(f"not a readable zip file ({exc})") from None
    with zf:
        infos = zf.infolist()
        if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
            raise BundleError("the bundle unpacks to more than 4 GiB")
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise BundleError("the bundle holds two files with the same name")
        try:
            files = {name: zf.read(name) for name in names if not name.endswith("/")}
        except (zipfile.BadZipFile, OSError, EOFError) as exc:  # CRC errors and the like
            raise BundleError(f"a file in the bundle is damaged ({exc})") from None
    for name in RESERVED:
        if name not in files:
            raise BundleError(f"{name} is missing")
    try:
        manifest = canonical.decode(files["MANIFEST.json"])
    except canonical.NotCanonical as exc:
        raise BundleError(f"MANIFEST.json is not canonical JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError("MANIFEST.json does not describe a govern audit bundle")
    if manifest.get("version") != VERSION:
        raise BundleError(f"bundle version {manifest.get('version')!r} is not supported (expected {VERSION})")
    if not isinstance(manifest.get("origin"), str) or not manifest["origin"]:
        raise BundleError("MANIFEST.json has no origin")
    raw = files["entries.jsonl"]
    if raw and not raw.endswith(b"\n"):
        raise BundleError("entries.jsonl does not end with a newline (cut off?)")
    entries = raw.split(b"\n")[:-1] if raw else []
    try:
        public_key = files["public-key.txt"].decode("utf-8").strip()
    except UnicodeDecodeError:
        raise BundleError("public-key.txt is not text") from None
    checkpoints: list[tuple[str, str]] = []
    votes: dict[str, VoteFiles] = {}
    extra: dict[str, bytes] = {}
    for name in sorted(files):
        if name in RESERVED:
            continue
        if name.startswith("checkpoints/"):
            if not _CHECKPOINT_RE.fullmatch(name):
                raise BundleError(f"{name} is not named checkpoints/<size>.note")
            try:
                checkpoints.append((name, files[name].decode("utf-8")))
            except UnicodeDecodeError:
                raise BundleError(f"{name} is not text") from None
            continue
        if name.startswith("votes/"):
            m = _VOTE_FILE_RE.fullmatch(name)
            if not m:
                raise BundleError(f"{name} is not one of votes/<id>/count.json, outcome.json, vote.json")
            vote = votes.setdefault(m.group(1), VoteFiles(m.group(1)))
            setattr(vote, m.group(2), files[name])
            continue
        extra[name] = files[name]
    checkpoints.sort(key=lambda item: _checkpoint_sort_key(item[0]))
    return Bundle(manifest, entries, checkpoints, public_key, votes, extra)


def _checkpoint_sort_key(name: str) -> tuple[int, int]:
    m = _CHECKPOINT_RE.fullmatch(name)
    assert m is not None
    return int(m.group(1)), int(m.group(2) or 1)


def checkpoint_file_size(name: str) -> int:
    """The size a checkpoint file's name claims."""
    return _checkpoint_sort_key(name)[0]


def box_leaf(tracker: str, ranking: list[str], weight: int) -> bytes:
    """One ballot of a published box, as hashed into the box's Merkle tree (leaf = SHA256(0x00 ‖ these bytes)).

    ``{"ranking": [...], "tracker": "...", "weight": n}`` in canonical JSON. Plain strings and a
    small int (every ballot govern writes) are encoded directly, keys already in canonical order
    (the same bytes, about ten times faster for a box of 50,000); anything else goes through
    :func:`canonical.encode`, which checks it.
    """
    if (
        type(tracker) is str and type(weight) is int and 0 <= weight <= canonical.MAX_SAFE_INTEGER
        and type(ranking) in (list, tuple) and all(type(k) is str for k in ranking)
    ):
        try:
            return _BOX_ENCODER.encode({"ranking": list(ranking), "tracker": tracker, "weight": weight}).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: canonical.encode names the problem
    return canonical.encode({"tracker": tracker, "ranking": list(ranking), "weight": weight})


_BOX_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"), sort_keys=False)


def electorate_digest(vote_id: int, electors: list[list[int]]) -> str:
    """SHA-256 of {"vote": id, "electors": [[member id, weight], ...]} (sorted by member id), canonical."""
    doc = {"vote": vote_id, "electors": [[m, w] for m, w in sorted(electors)]}
    return hashlib.sha256(canonical.encode(doc)).hexdigest()

