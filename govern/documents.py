"""Uploaded documents (invoices, annual accounts): which kinds we store, by their first bytes, and their names."""

from __future__ import annotations

from werkzeug.utils import secure_filename

#: Largest document we accept.
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
#: Magic bytes → (content type, file extension). Only these kinds of file are stored.
DOCUMENT_KINDS: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


def document_kind(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the file's first bytes, or None when it is not a PDF, PNG or JPEG."""
    for magic, content_type, extension in DOCUMENT_KINDS:
        if data.startswith(magic):
            return content_type, extension
    return None


def stored_filename(name: str, extension: str, fallback: str = "document") -> str:
    """A safe file name with the extension that matches the content (never the uploader's own)."""
    stem = secure_filename(name.rsplit(".", 1)[0] if "." in name else name) or secure_filename(fallback) or "document"
    return f"{stem[:150]}.{extension}"
