"""Signed checkpoints: signed-note known answers from golang.org/x/mod/sumdb/note, and refusals."""

from __future__ import annotations

import base64

import pytest

from govern.audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    Signer,
    Verifier,
    checkpoint_text,
    generate_key,
    key_id,
    open_note,
    parse_checkpoint,
    sign_checkpoint,
    sign_note,
    verify_checkpoint,
)

# The example key and note of golang.org/x/mod/sumdb/note (its package documentation).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
# The example verifier key and note of the C2SP signed-note specification.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

ORIGIN = "govern.example/rotterdam-delfshaven"
ROOT = bytes(range(32))


@pytest.fixture(scope="module")
def keys():
    return generate_key(ORIGIN)


def test_go_known_answer_sign_and_open():
    signer = Signer.from_string(GO_SKEY)
    assert signer.to_string() == GO_SKEY
    assert str(signer.verifier) == GO_VKEY
    assert sign_note(GO_TEXT, GO_SKEY) == GO_NOTE  # Ed25519 is deterministic: byte for byte
    assert open_note(GO_NOTE, GO_VKEY) == GO_TEXT


def test_spec_example_opens():
    assert open_note(SPEC_NOTE, SPEC_VKEY) == "This is an example message.\n"


def test_key_id_is_the_signed_note_hash():
    v = Verifier.from_string(GO_VKEY)
    assert v.key_id == 0xC74F20A3 == key_id("PeterNeumann", v.public_key)


def test_generated_keys_round_trip(keys):
    skey, vkey = keys
    assert skey.startswith(f"PRIVATE+KEY+{ORIGIN}+")
    signer, verifier = Signer.from_string(skey), Verifier.from_string(vkey)
    assert signer.verifier == verifier
    secret = skey.split("+", 4)[4]  # the base64 seed may itself contain "+"
    assert "PRIVATE" not in repr(signer) and secret not in repr(signer)


def test_checkpoint_format_and_round_trip(keys):
    skey, vkey = keys
    note = sign_checkpoint(ORIGIN, 20852163, ROOT, skey)
    text, sig = note.split("\n\n")
    assert text + "\n" == checkpoint_text(ORIGIN, 20852163, ROOT) == f"{ORIGIN}\n20852163\n{base64.b64encode(ROOT).decode()}\n"
    assert sig.startswith(f"— {ORIGIN} ") and sig.endswith("\n")
    assert len(base64.b64decode(sig.split(" ")[2])) == 68
    assert verify_checkpoint(note, vkey, ORIGIN) == Checkpoint(ORIGIN, 20852163, ROOT)
    assert parse_checkpoint(note).size == 20852163
    assert verify_checkpoint(sign_checkpoint(ORIGIN, 0, ROOT, skey), vkey, ORIGIN).size == 0


def test_wrong_origin_is_refused(keys):
    skey, vkey = keys
    note = sign_checkpoint("other.example/log", 5, ROOT, skey)
    with pytest.raises(CheckpointError, match="not 'govern"):
        verify_checkpoint(note, vkey, ORIGIN)


def test_wrong_key_is_refused(keys):
    _, vkey = keys
    other_skey, other_vkey = generate_key(ORIGIN)  # same name, another key: a different key id
    note = sign_checkpoint(ORIGIN, 5, ROOT, other_skey)
    with pytest.raises(CheckpointError, match="not signed by"):
        verify_checkpoint(note, vkey, ORIGIN)
    verify_checkpoint(note, other_vkey, ORIGIN)


def test_a_signature_by_our_key_that_fails_is_refused(keys):
    skey, vkey = keys
    note = sign_checkpoint(ORIGIN, 5, ROOT, skey)
    tampered = note.replace("\n5\n", "\n6\n", 1)
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_checkpoint(tampered, vkey, ORIGIN)
    sig = note.split(" ")[-1].strip()
    raw = bytearray(base64.b64decode(sig))
    raw[10] ^= 1
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_checkpoint(note.replace(sig, base64.b64encode(bytes(raw)).decode()), vkey, ORIGIN)


def test_other_signatures_are_ignored_and_ours_is_enough(keys):
    skey, vkey = keys
    witness_skey, _ = generate_key("witness.example/w1")
    note = sign_checkpoint(ORIGIN, 5, ROOT, skey)
    extra = sign_note(checkpoint_text(ORIGIN, 5, ROOT), witness_skey).split("\n\n")[1]
    cosigned = note + extra
    assert verify_checkpoint(cosigned, vkey, ORIGIN).size == 5


@pytest.mark.parametrize(
    "mangle",
    [
        lambda n: n.replace("\n\n", "\n"),  # no blank line
        lambda n: n[:-1],  # no final newline
        lambda n: n.replace("— ", "- "),  # not an em dash
        lambda n: n.replace("— ", "—"),
        lambda n: n.split("\n\n")[0] + "\n\n",  # no signatures
        lambda n: n.replace("\n\n", "\n\n\n"),  # empty signature line
        lambda n: n + "— x\n",  # signature line without signature
        lambda n: n + "— a+b AAAAAAAA\n",  # bad key name
        lambda n: n + "— other !!!!\n",  # not base64
        lambda n: n.replace("\n", "\r\n"),  # control characters
        lambda n: n.replace("5\n", "05\n", 1),  # leading zero in the size (signature breaks too)
        lambda n: n.split("\n", 1)[1],  # no origin line
        lambda n: n + "".join("— w%d AAAAAQ==\n" % i for i in range(101)),  # too many signatures
    ],
)
def test_malformed_notes_are_refused(keys, mangle):
    skey, vkey = keys
    note = sign_checkpoint(ORIGIN, 5, ROOT, skey)
    with pytest.raises(CheckpointError):
        verify_checkpoint(mangle(note), vkey, ORIGIN)


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGIN}\n5\n",  # two lines
        f"{ORIGIN}\n-5\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n05\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n5\n{base64.b64encode(ROOT[:31]).decode()}\n",
        f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode().rstrip('=')}\n",
        f"\n5\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode()}\n\n",
    ],
)
def test_malformed_checkpoint_bodies_are_refused(keys, text):
    skey, vkey = keys
    with pytest.raises(CheckpointError):
        verify_checkpoint(sign_note(text, skey) if text.endswith("\n") and not text.endswith("\n\n") else text, vkey, ORIGIN)


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ApRc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong algorithm byte
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_malformed_verifier_keys_are_refused(vkey):
    with pytest.raises(CheckpointError):
        Verifier.from_string(vkey)


def test_malformed_signer_keys_are_refused():
    for skey in [GO_SKEY.replace("PRIVATE+KEY", "PUBLIC+KEY"), GO_SKEY.replace("c74f20a3", "c74f20a4"), GO_VKEY]:
        with pytest.raises(CheckpointError):
            Signer.from_string(skey)
