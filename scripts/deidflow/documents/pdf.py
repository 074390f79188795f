"""PDF: the text layer of every page (pypdf); released as UTF-8 text, since nothing else of a PDF (metadata, XMP,
annotations, attachments, forms, images, fonts) travels. A PDF without a text layer is refused."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from .model import Block, Document, DocumentError


def read_pdf(path: str | Path) -> Document:
    """A paragraph per text line of each page; DocumentError naming the file when it is encrypted, unreadable or has
    no text layer (scanned pages)."""
    name = Path(path).name
    try:
        from pypdf import PdfReader

        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{name}: password-protected PDF; remove the password to release it")
        pages = [page.extract_text() or "" for page in reader.pages]
        removed: Counter = Counter()
        info = reader.metadata or {}
        removed.update(f"metadata {str(k).lstrip('/')}" for k, v in info.items() if v)
        if reader.xmp_metadata is not None:
            removed["XMP metadata"] += 1
        for page in reader.pages:
            removed["annotations and links"] += len(_resolved(page.get("/Annots")) or [])
            resources = _resolved(page.get("/Resources")) or {}
            removed["images and objects"] += len(_resolved(resources.get("/XObject")) or {})
        removed["attachments"] += len(reader.attachments or {})
    except DocumentError:
        raise
    except Exception as err:  # pypdf raises many kinds on damaged files
        raise DocumentError(f"{name}: not a readable PDF ({type(err).__name__}: {err})") from None
    if not any(p.strip() for p in pages):
        raise DocumentError(f"{name}: no text layer (scanned pages?); OCR is not applied to documents, so it is "
                            "withheld")
    blocks = []
    for number, text in enumerate(pages, start=1):
        blocks.append(Block(f"Page {number}", 2))
        blocks += [Block(line) for line in text.splitlines()]
    return Document(blocks=blocks, removed=Counter({k: v for k, v in removed.items() if v}))


def _resolved(value):
    """The object an indirect reference points at (page entries may be references)."""
    return value.get_object() if hasattr(value, "get_object") else value


def write_text(doc: Document) -> bytes:
    """The document's text as UTF-8, a paragraph a line."""
    return (doc.text() + "\n").encode("utf-8")
