"""OpenDocument .odt: text of headings, paragraphs, lists, tables, sections, text frames, headers, footers and notes
(tracked deletions and annotations dropped); written as a fresh document with odfpy."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

from .model import Block, Document, DocumentError
from .package import normalize_zip, open_package

TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
DRAW_NS = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
STYLE_NS = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"


def _q(node) -> tuple[str, str]:
    return getattr(node, "qname", ("", ""))


def inline_text(node, removed: Counter, notes: list[str], boxes: list) -> str:
    """The visible text of a paragraph's content: spaces, tabs and breaks expanded; annotations, notes (collected
    apart) and text frames (collected apart) left out."""
    out = []
    for child in node.childNodes:
        if child.nodeType == child.TEXT_NODE:
            out.append(child.data)
            continue
        ns, local = _q(child)
        if ns == TEXT_NS and local == "s":
            out.append(" " * int(child.getAttribute("c") or 1))
        elif ns == TEXT_NS and local == "tab":
            out.append("\t")
        elif ns == TEXT_NS and local == "line-break":
            out.append("\n")
        elif ns == OFFICE_NS and local in ("annotation", "annotation-end"):
            if local == "annotation":
                removed["comments"] += 1
        elif ns == TEXT_NS and local == "note":
            body = [c for c in child.childNodes if _q(c) == (TEXT_NS, "note-body")]
            text = "\n".join(b.text for body_el in body for b in _blocks(body_el, removed, notes) if b.rows is None)
            if text.strip():
                notes.append(text)
                removed["footnotes and endnotes (text kept as notes)"] += 1
        elif ns == DRAW_NS and local == "frame":
            for sub in child.childNodes:
                sns, slocal = _q(sub)
                if (sns, slocal) == (DRAW_NS, "text-box"):
                    boxes.append(sub)
                    removed["text boxes (text kept)"] += 1
                elif (sns, slocal) in ((DRAW_NS, "image"), (DRAW_NS, "object"), (DRAW_NS, "object-ole")):
                    removed["embedded images and objects"] += 1
        elif ns == TEXT_NS and local in ("change", "change-start", "change-end"):
            continue
        elif ns == TEXT_NS and local == "a":
            removed["hyperlink targets"] += 1
            out.append(inline_text(child, removed, notes, boxes))
        elif ns == TEXT_NS and local in ("bookmark", "bookmark-start", "bookmark-end", "reference-mark",
                                         "soft-page-break"):
            continue
        else:
            out.append(inline_text(child, removed, notes, boxes))
    return "".join(out)


def _blocks(container, removed: Counter, notes: list[str]) -> list[Block]:
    out: list[Block] = []
    for child in container.childNodes:
        ns, local = _q(child)
        if ns == TEXT_NS and local in ("p", "h"):
            boxes: list = []
            text = inline_text(child, removed, notes, boxes)
            level = int(child.getAttribute("outlinelevel") or 1) if local == "h" else None
            out.append(Block(text, level))
            for box in boxes:
                out += _blocks(box, removed, notes)
        elif ns == TABLE_NS and local == "table":
            rows = []
            for row in child.getElementsByType(_table_row()):
                cells = [c for c in row.childNodes if _q(c) == (TABLE_NS, "table-cell")]
                rows.append(["\n".join(b.text for b in _blocks(c, removed, notes) if b.rows is None) for c in cells])
            out.append(Block(rows=rows))
        elif ns == TEXT_NS and local == "tracked-changes":
            removed["tracked changes (deleted text dropped)"] += len(child.childNodes)
        elif ns == OFFICE_NS and local in ("annotation",):
            removed["comments"] += 1
        elif ns == TEXT_NS and local in ("variable-decls", "user-field-decls", "sequence-decls"):
            removed["document variables"] += 1
        elif hasattr(child, "childNodes") and child.nodeType == child.ELEMENT_NODE:
            out += _blocks(child, removed, notes)  # lists, list items, sections, indexes
    return out


def _table_row():
    from odf.table import TableRow

    return TableRow


def read_odt(path: str | Path) -> Document:
    """The text structure of an .odt; DocumentError (naming the file) for an encrypted, macro-enabled or
    unreadable one."""
    name = Path(path).name
    archive = open_package(path)
    mimetype = archive.read("mimetype").strip() if "mimetype" in archive.namelist() else b""
    if mimetype != b"application/vnd.oasis.opendocument.text":
        raise DocumentError(f"{name}: not an OpenDocument text file (mimetype is not ...opendocument.text)")
    try:
        from odf.opendocument import load

        source = load(str(path))
    except Exception as err:  # odfpy raises parser errors of several kinds
        raise DocumentError(f"{name}: not a readable OpenDocument file ({type(err).__name__}: {err})") from None
    removed: Counter = Counter()
    notes: list[str] = []
    doc = Document(removed=removed)
    doc.blocks = _blocks(source.text, removed, notes)
    for master in source.masterstyles.childNodes:
        for region in master.childNodes:
            ns, local = _q(region)
            if ns != STYLE_NS or not local.startswith(("header", "footer")):
                continue
            lines = [b.text if b.rows is None else "\t".join(c for r in b.rows for c in r)
                     for b in _blocks(region, removed, notes)]
            (doc.header if local.startswith("header") else doc.footer).extend(t for t in lines if t.strip())
    doc.notes = notes
    for node in source.meta.childNodes:
        ns, local = _q(node)
        if local != "generator":
            removed[f"metadata {local}"] += 1
    if any(n.startswith("Pictures/") for n in archive.namelist()):
        removed["embedded images and objects (parts)"] += sum(n.startswith("Pictures/") for n in archive.namelist())
    if "Thumbnails/thumbnail.png" in archive.namelist():
        removed["thumbnail"] += 1
    return doc


def write_odt(doc: Document) -> bytes:
    """A fresh .odt holding only the document's text and structure (header and footer on the standard page), with
    no metadata but odfpy's generator and fixed zip timestamps."""
    from odf import teletype
    from odf.opendocument import OpenDocumentText
    from odf.style import Footer, Header, MasterPage, PageLayout
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, P

    out = OpenDocumentText()

    def para(text: str, cls=P, **kw):
        el = cls(**kw)
        teletype.addTextToElement(el, text)
        return el

    if doc.header or doc.footer:
        layout = PageLayout(name="pm1")
        out.automaticstyles.addElement(layout)
        master = MasterPage(name="Standard", pagelayoutname=layout)
        for lines, region in ((doc.header, Header), (doc.footer, Footer)):
            if lines:
                el = region()
                for line in lines:
                    el.addElement(para(line))
                master.addElement(el)
        out.masterstyles.addElement(master)
    for block in doc.blocks:
        if block.rows is not None:
            width = max((len(r) for r in block.rows), default=0)
            if not width:
                continue
            table = Table()
            table.addElement(TableColumn(numbercolumnsrepeated=width))
            for row in block.rows:
                tr = TableRow()
                for j in range(width):
                    cell = TableCell()
                    cell.addElement(para(row[j] if j < len(row) else ""))
                    tr.addElement(cell)
                table.addElement(tr)
            out.text.addElement(table)
        elif block.level is not None:
            out.text.addElement(para(block.text, H, outlinelevel=max(block.level, 1)))
        else:
            out.text.addElement(para(block.text))
    if doc.notes:
        out.text.addElement(para("Notes", H, outlinelevel=2))
        for note in doc.notes:
            out.text.addElement(para(note))
    buffer = io.BytesIO()
    out.write(buffer)
    return normalize_zip(buffer.getvalue(), canonical_xml=_canonical)


def _canonical(content: bytes) -> bytes:
    """The XML with every namespace declared once, on the root, sorted (odfpy's declaration order varies)."""
    from lxml import etree

    root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    used: dict[str, str] = {}
    for el in root.iter():
        if isinstance(el.tag, str):
            used.update(el.nsmap)
    etree.cleanup_namespaces(root, top_nsmap=dict(sorted((k, v) for k, v in used.items() if k)))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
