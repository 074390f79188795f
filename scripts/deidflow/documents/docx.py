"""Word .docx: the text of body paragraphs, tables, content controls, text boxes, headers, footers, footnotes and
endnotes read from the package XML (tracked insertions kept, deletions dropped); written as a fresh document."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from .model import Block, Document, DocumentError
from .package import normalize_zip, open_package

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
MAIN_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml")
FIXED_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)
_HEADING = re.compile(r"^heading\s*(\d)$", re.I)


def _parse(blob: bytes):
    from lxml import etree

    return etree.fromstring(blob, etree.XMLParser(resolve_entities=False, no_network=True))


def _skipped(el, stop) -> bool:
    """Inside a markup-compatibility fallback (a duplicate of the chosen content) or a moved-from range."""
    for anc in el.iterancestors():
        if anc is stop:
            return False
        if anc.tag in (MC_FALLBACK, f"{W}moveFrom", f"{W}del"):
            return True
    return False


def paragraph_text(p, removed: Counter) -> tuple[str, list]:
    """A paragraph's visible text (runs, hyperlinks' text, tracked insertions; not deletions, field codes or text
    boxes) and the text-box contents it anchors."""
    parts, boxes = [], []
    for el in p.iter():
        tag = el.tag
        if not isinstance(tag, str) or el is p:
            continue
        nearest = next(el.iterancestors(f"{W}p", f"{W}txbxContent"), None)
        if tag == f"{W}txbxContent":
            if nearest is p and not _skipped(el, p):
                boxes.append(el)
            continue
        if nearest is not p or _skipped(el, p):
            if tag == f"{W}delText" or (tag == f"{W}t" and _skipped(el, p) and
                                         next(el.iterancestors(f"{W}del", f"{W}moveFrom"), None) is not None):
                removed["tracked deletions"] += 1
            continue
        if tag == f"{W}t":
            parts.append(el.text or "")
        elif tag == f"{W}tab":
            parts.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            parts.append("\n")
        elif tag == f"{W}noBreakHyphen":
            parts.append("-")
        elif tag == f"{W}delText":
            removed["tracked deletions"] += 1
        elif tag == f"{W}instrText":
            removed["field codes"] += 1
        elif tag == f"{W}ins":
            removed["tracked insertions accepted"] += 1
        elif tag == f"{W}hyperlink" and el.get(R_ID):
            removed["hyperlink targets"] += 1
        elif tag in (f"{W}drawing", f"{W}pict", f"{W}object"):
            removed["embedded images and objects"] += 1
        elif tag == f"{W}commentReference":
            pass  # the comment itself is counted from the comments part
    return "".join(parts), boxes


def _level(p) -> int | None:
    style = p.find(f"{W}pPr/{W}pStyle")
    name = style.get(f"{W}val", "") if style is not None else ""
    if name.lower() == "title":
        return 0
    match = _HEADING.match(name)
    return int(match.group(1)) if match else None


def _blocks(container, removed: Counter) -> list[Block]:
    """Body-level blocks of a body, header, footer, note, table cell or text box, in order."""
    out: list[Block] = []
    for child in container:
        if child.tag == f"{W}p":
            text, boxes = paragraph_text(child, removed)
            out.append(Block(text, _level(child)))
            for box in boxes:
                removed["text boxes (text kept)"] += 1
                out += _blocks(box, removed)
        elif child.tag == f"{W}tbl":
            rows = []
            for tr in child.iter(f"{W}tr"):
                if next(tr.iterancestors(f"{W}tbl")) is not child:
                    continue  # a nested table's row: its text joins the outer cell
                row = []
                for tc in tr.findall(f"{W}tc"):
                    row.append("\n".join(b.text if b.rows is None else "\n".join("\t".join(r) for r in b.rows)
                                         for b in _blocks(tc, removed)))
                rows.append(row)
            out.append(Block(rows=rows))
        elif child.tag in (f"{W}sdt", f"{W}customXml", f"{W}ins"):
            content = child.find(f"{W}sdtContent")
            out += _blocks(content if content is not None else child, removed)
        elif child.tag in (f"{W}del", f"{W}moveFrom"):
            removed["tracked deletions"] += 1
    return out


def _lines(blocks: list[Block]) -> list[str]:
    return [b.text if b.rows is None else "\t".join(c for r in b.rows for c in r) for b in blocks]


def read_docx(path: str | Path) -> Document:
    """The text structure of a .docx; DocumentError (naming the file) for anything that is not a readable,
    macro-free, unencrypted Word document."""
    name = Path(path).name
    archive = open_package(path)
    types = archive.read("[Content_Types].xml").decode("utf-8", "replace") if "[Content_Types].xml" in \
        archive.namelist() else ""
    if "macroEnabled" in types:
        raise DocumentError(f"{name}: macro-enabled Word document; not released")
    if not any(t in types for t in MAIN_TYPES):
        raise DocumentError(f"{name}: not a Word document (no wordprocessingml main part)")
    try:
        import docx

        source = docx.Document(str(path))
    except Exception as err:  # python-docx raises many kinds on a damaged package
        raise DocumentError(f"{name}: not a readable Word document ({type(err).__name__}: {err})") from None
    removed: Counter = Counter()
    doc = Document(removed=removed)
    body = source.element.body
    doc.blocks = _blocks(body, removed)
    core = source.core_properties
    for field in ("author", "last_modified_by", "title", "subject", "keywords", "comments", "category",
                  "content_status", "identifier", "language", "version"):
        if getattr(core, field, None):
            removed[f"core property {field}"] += 1
    for part in source.part.package.iter_parts():
        partname = str(part.partname)
        local = partname.rsplit("/", 1)[-1]
        if re.fullmatch(r"/word/(header|footer)\d*\.xml", partname):
            lines = [t for t in _lines(_blocks(_parse(part.blob), removed)) if t.strip()]
            (doc.header if local.startswith("header") else doc.footer).extend(lines)
        elif partname in ("/word/footnotes.xml", "/word/endnotes.xml"):
            for note in _parse(part.blob):
                if note.get(f"{W}type") in ("separator", "continuationSeparator", "continuationNotice"):
                    continue
                text = "\n".join(t for t in _lines(_blocks(note, removed)) if t.strip())
                if text.strip():
                    doc.notes.append(text)
                    removed[f"{local[:-5]} (text kept as notes)"] += 1
        elif partname == "/word/comments.xml":
            removed["comments"] += len(_parse(part.blob).findall(f"{W}comment"))
        elif partname.startswith("/word/commentsExtended") or partname.startswith("/word/people"):
            removed["comment authors"] += 1
        elif partname == "/docProps/custom.xml":
            removed["custom properties"] += len(_parse(part.blob))
        elif partname == "/word/settings.xml":
            settings = _parse(part.blob)
            removed["document variables"] += len(settings.findall(f"{W}docVars/{W}docVar"))
            removed["revision ids (rsids)"] += len(settings.findall(f"{W}rsids/{W}rsid"))
        elif part.content_type.startswith("image/") or "/embeddings/" in partname:
            removed["thumbnail" if "thumbnail" in partname else "embedded images and objects (parts)"] += 1
    return doc


def write_docx(doc: Document) -> bytes:
    """A fresh .docx (python-docx's default template) holding only the document's text and structure, with empty
    core properties, fixed dates and no thumbnail; the same document gives the same bytes."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    out = docx.Document()
    body = out.element.body
    for p in list(body.iterchildren(f"{W}p")):  # the template's empty paragraph
        body.remove(p)
    section = out.sections[0]
    _fill(section.header, doc.header)
    _fill(section.footer, doc.footer)
    for block in doc.blocks:
        if block.rows is not None:
            width = max((len(r) for r in block.rows), default=0)
            if not width:
                continue
            table = out.add_table(rows=len(block.rows), cols=width)
            table.style = "Table Grid"
            for i, row in enumerate(block.rows):
                for j, cell in enumerate(row):
                    table.cell(i, j).text = cell
        elif block.level is not None:
            out.add_heading(block.text, level=min(block.level, 9))
        else:
            out.add_paragraph(block.text)
    if doc.notes:
        out.add_heading("Notes", level=2)
        for note in doc.notes:
            out.add_paragraph(note)
    core = out.core_properties
    for field in ("author", "last_modified_by", "title", "subject", "keywords", "comments", "category",
                  "content_status", "identifier", "language", "version"):
        setattr(core, field, "")
    core.revision = 1
    core.created = core.modified = core.last_printed = FIXED_DATE
    package = out.part.package
    for rid, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            package.rels.pop(rid)
    buffer = io.BytesIO()
    out.save(buffer)
    return normalize_zip(buffer.getvalue())


def _fill(container, lines: list[str]) -> None:
    if not lines:
        return
    container.is_linked_to_previous = False
    container.paragraphs[0].text = lines[0]
    for line in lines[1:]:
        container.add_paragraph(line)
