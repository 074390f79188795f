"""Office packages (zip): refuse what cannot be read safely, and rewrite a written package byte-for-byte stable."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Callable

from .model import DocumentError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: a password-protected Office file or a legacy .doc
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
# Members that hold macros or scripts in Word and OpenDocument packages.
MACRO_MEMBERS = ("vbaproject.bin", "vbadata.xml", "basic/", "scripts/")


def open_package(path: str | Path) -> zipfile.ZipFile:
    """The document's zip package, or DocumentError naming the file: encrypted, legacy binary, macro-enabled, or not
    a zip at all."""
    data = Path(path).read_bytes()
    name = Path(path).name
    if data[:8] == OLE_MAGIC:
        raise DocumentError(f"{name}: password-protected (encrypted) or a legacy binary Office file; remove the "
                            "password or save it as .docx/.odt to release it")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.namelist()
        archive.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as err:
        raise DocumentError(f"{name}: not a readable document package ({err})") from None
    lower = [m.lower() for m in members]
    if any(m.endswith(MACRO_MEMBERS[0]) or m.endswith(MACRO_MEMBERS[1]) or m.startswith(MACRO_MEMBERS[2:])
           for m in lower):
        raise DocumentError(f"{name}: macro-enabled document (holds macros or scripts); not released")
    if "meta-inf/manifest.xml" in lower and b"encryption-data" in archive.read(members[lower.index(
            "meta-inf/manifest.xml")]):
        raise DocumentError(f"{name}: password-protected (encrypted) OpenDocument file; remove the password to "
                            "release it")
    return archive


def normalize_zip(data: bytes, drop: tuple[str, ...] = (), canonical_xml: Callable[[bytes], bytes] | None = None) -> bytes:
    """The same package with fixed member timestamps and attributes (same content -> same bytes); members named in
    `drop` are left out. The first member keeps its place (OpenDocument's uncompressed `mimetype` must be first).
    `canonical_xml` rewrites each XML member (odfpy declares namespaces in a varying order)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename in drop:
                continue
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            fixed.create_system = 3
            content = source.read(info.filename)
            if canonical_xml and info.filename.endswith(".xml"):
                content = canonical_xml(content)
            target.writestr(fixed, content, compresslevel=9 if fixed.compress_type else None)
    return out.getvalue()


def package_texts(data: bytes) -> list[tuple[str, str]]:
    """(member, text) of every XML member of a written package: element texts and attribute values, one a line, with
    a paragraph's runs joined (what the verification re-check and the leak scan read)."""
    from xml.etree import ElementTree  # stdlib: the leak scan runs in every environment

    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            if not member.lower().endswith((".xml", ".rels")):
                continue
            try:
                root = ElementTree.fromstring(archive.read(member))
            except ElementTree.ParseError:
                continue
            out.append((member, xml_text(root)))
    return out


def xml_text(root) -> str:
    """An XML tree's text for scanning: each paragraph (w:p, text:p, text:h) as one line with its runs joined, other
    element texts and attribute values one a line."""
    lines: list[str] = []

    def visit(el) -> None:
        if not isinstance(el.tag, str):  # comments and processing instructions
            return
        local = el.tag.rsplit("}", 1)[-1]
        lines.extend(str(v) for v in el.attrib.values())
        if local in ("p", "h"):
            lines.append("".join(el.itertext()))
            for child in el.iter():
                if child is not el and isinstance(child.tag, str):
                    lines.extend(str(v) for v in child.attrib.values())
            return
        if el.text and el.text.strip():
            lines.append(el.text)
        for child in el:
            visit(child)
            if child.tail and child.tail.strip():
                lines.append(child.tail)

    visit(root)
    return "\n".join(lines)
