"""Documents (.docx, .odt, .rtf, .pdf): identifiers planted in every place a real file carries them are gone from
the released file (checked by unzipping it and by the leak scan), fail-closed cases are withheld naming the file, and
the output is byte-identical across runs."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from pathlib import Path

import pytest

from deidflow.documents.deidentify import DocumentsConfig, process_subject
from deidflow.documents.docx import read_docx
from deidflow.documents.model import DocumentError
from deidflow.documents.odt import read_odt
from deidflow.documents.package import package_texts
from deidflow.documents.pdf import read_pdf
from deidflow.documents.rtf import read_rtf
from deidflow.parts import PartWriter
from deidflow.risk.leaks import Scanner, build_needles
from deidflow.subjects import SubjectRecord
from deidflow.text.deidentify import TextConfig
from deidflow.text.engine import analyzer

ITEMS = [
    {"value": "Rosalind Whitfield", "kind": "name"},
    {"value": "(415) 555-0137", "kind": "phone"},
    {"value": "r.whitfield@example.org", "kind": "email"},
    {"value": "77 Larkspur Lane", "kind": "address"},
    {"value": "Fairhaven", "kind": "place"},
]
IDENTIFIERS = {"subjects": {"ab12": ITEMS}, "global": []}
RECORD = SubjectRecord("NW1234", "ab12", 30, {})
LEAKS = ["Rosalind", "Whitfield", "555-0137", "example.org", "Larkspur", "Fairhaven"]
W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _jpeg_with_exif() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (16, 16), (200, 40, 40))
    exif = Image.Exif()
    exif[0x013B] = "Rosalind Whitfield"  # Artist
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def adversarial_docx(path: Path) -> None:
    """The name in body, a name split over runs, header, footer, table cell, comment, tracked deletion, text box,
    mailto link, core and custom properties, and an embedded image whose EXIF names the person."""
    import docx
    from docx.oxml import parse_xml

    doc = docx.Document()
    doc.core_properties.author = "Rosalind Whitfield"
    doc.core_properties.title = "Notes on Rosalind Whitfield"
    doc.core_properties.last_modified_by = "Rosalind Whitfield"
    doc.core_properties.keywords = "Fairhaven"
    doc.sections[0].header.paragraphs[0].text = "Patient: Rosalind Whitfield"
    doc.sections[0].footer.paragraphs[0].text = "Call (415) 555-0137"
    doc.add_heading("Session notes", level=1)
    body = doc.add_paragraph("Rosalind Whitfield came in on 14 March 2024 from 77 Larkspur Lane, Fairhaven.")
    split = doc.add_paragraph()
    split.add_run("Seen again: Ros")
    split.add_run("alind Whit")
    split.add_run("field, who is doing well.")
    doc.add_comment(body.runs, text="Rosalind Whitfield asked for a copy", author="Rosalind Whitfield", initials="RW")
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Phone"
    table.cell(0, 1).text = "(415) 555-0137"
    table.cell(1, 0).text = "Contact"
    table.cell(1, 1).text = "r.whitfield@example.org"
    tracked = doc.add_paragraph("Kept text. ")
    tracked._p.append(parse_xml(f'<w:del {W_NS} w:id="1" w:author="Rosalind Whitfield" w:date="2024-03-14T00:00:00Z">'
                                '<w:r><w:delText>Deleted: Whitfield lives at Larkspur</w:delText></w:r></w:del>'))
    tracked._p.append(parse_xml(f'<w:ins {W_NS} w:id="2" w:author="Rosalind Whitfield" w:date="2024-03-14T00:00:00Z">'
                                '<w:r><w:t>Inserted: call Rosalind.</w:t></w:r></w:ins>'))
    boxed = doc.add_paragraph("Box follows.")
    boxed._p.append(parse_xml(
        f'<w:r {W_NS} xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape><v:textbox><w:txbxContent>'
        '<w:p><w:r><w:t>In a box: Rosalind Whitfield</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>'))
    rid = doc.part.relate_to("mailto:r.whitfield@example.org",
                             "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
                             is_external=True)
    link = doc.add_paragraph("Write to ")
    link._p.append(parse_xml(f'<w:hyperlink {W_NS} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                             f'relationships" r:id="{rid}"><w:r><w:t>her e-mail</w:t></w:r></w:hyperlink>'))
    doc.add_picture(io.BytesIO(_jpeg_with_exif()))
    buffer = io.BytesIO()
    doc.save(buffer)
    # a custom property, added to the package as Word writes it
    src = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = zipfile.ZipFile(path, "w")
    for item in src.infolist():
        data = src.read(item.filename)
        if item.filename == "[Content_Types].xml":
            data = data.replace(b"</Types>", b'<Override PartName="/docProps/custom.xml" ContentType="application/'
                                b'vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>')
        if item.filename == "[Content_Types].xml":
            data = data.replace(b"</Types>", b'<Override PartName="/word/footnotes.xml" ContentType="application/'
                                b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>')
        if item.filename == "word/_rels/document.xml.rels":
            data = data.replace(b"</Relationships>", b'<Relationship Id="rIdF" Type="http://schemas.openxmlformats.'
                                b'org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>'
                                b'</Relationships>')
        if item.filename == "_rels/.rels":
            data = data.replace(b"</Relationships>", b'<Relationship Id="rIdC" Type="http://schemas.openxmlformats.'
                                b'org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"'
                                b'/></Relationships>')
        out.writestr(item, data)
    out.writestr("word/footnotes.xml", f'<?xml version="1.0"?><w:footnotes {W_NS}><w:footnote w:type="separator" '
                 'w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote><w:footnote w:id="1"><w:p><w:r><w:t>'
                 'Footnote: Rosalind Whitfield, (415) 555-0137</w:t></w:r></w:p></w:footnote></w:footnotes>')
    out.writestr("docProps/custom.xml", '<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/'
                 'officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/'
                 '2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" '
                 'name="Patient"><vt:lpwstr>Rosalind Whitfield</vt:lpwstr></property></Properties>')
    out.close()


def adversarial_odt(path: Path) -> None:
    from odf.office import Annotation
    from odf.opendocument import OpenDocumentText
    from odf.style import Header, MasterPage, PageLayout
    from odf.text import H, P

    doc = OpenDocumentText()
    from odf.dc import Creator

    doc.meta.addElement(Creator(text="Rosalind Whitfield"))
    layout = PageLayout(name="pm1")
    doc.automaticstyles.addElement(layout)
    master = MasterPage(name="Standard", pagelayoutname=layout)
    header = Header()
    header.addElement(P(text="Patient Rosalind Whitfield"))
    master.addElement(header)
    doc.masterstyles.addElement(master)
    from odf.dc import Date
    from odf.office import ChangeInfo
    from odf.text import Change, ChangedRegion, Deletion, TrackedChanges

    changes = TrackedChanges()
    from odf.namespaces import TEXTNS

    region = ChangedRegion(check_grammar=False)
    region.setAttrNS(TEXTNS, "id", "ct1")
    deletion = Deletion()
    info = ChangeInfo()
    info.addElement(Creator(text="Rosalind Whitfield"))
    info.addElement(Date(text="2024-03-14T00:00:00"))
    deletion.addElement(info)
    deletion.addElement(P(text="Deleted: Whitfield of Larkspur Lane"))
    region.addElement(deletion)
    changes.addElement(region)
    doc.text.addElement(changes)
    doc.text.addElement(H(outlinelevel=1, text="Visit"))
    marked = P(text="Kept before the deletion. ")
    marked.addElement(Change(changeid="ct1"))
    doc.text.addElement(marked)
    para = P(text="Rosalind Whitfield lives at 77 Larkspur Lane and answers (415) 555-0137.")
    note = Annotation()
    note.addElement(P(text="Comment about Rosalind Whitfield"))
    para.addElement(note)
    doc.text.addElement(para)
    doc.save(str(path))


def adversarial_rtf() -> bytes:
    return (rb"{\rtf1\ansi{\info{\author Rosalind Whitfield}{\title Notes on Whitfield}}"
            rb"{\*\company Fairhaven Clinic}Rosalind Whitfield called from (415) 555-0137.\par"
            rb"{\*\annotation Comment by Rosalind}Caf\'e9 visit went well.\par}")


def pdf_bytes(text: str | None) -> bytes:
    """A one-page PDF with `text` in its text layer (Helvetica), or an image-only page when text is None."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=200)
    if text is not None:
        font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject(
            "/Type1"), NameObject("/BaseFont"): NameObject("/Helvetica")})
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
            {NameObject("/F1"): writer._add_object(font)})})
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 20 150 Td ({text}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    writer.add_metadata({"/Author": "Rosalind Whitfield", "/Title": "Notes"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def engine():
    return analyzer()


def run_part(tmp_path: Path, files: dict[str, bytes | None], engine, **doc_cfg) -> tuple[Path, dict]:
    """Write the files into a study, run process_subject, return (part dir, manifest)."""
    bids = tmp_path / "bids"
    for rel, data in files.items():
        target = bids / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if data is None:
            continue
        target.write_bytes(data)
    inputs = sorted(str(p) for p in bids.rglob("*") if p.is_file())
    out = tmp_path / "part"
    with PartWriter(out, "document", "ab12") as writer:
        process_subject(inputs, str(bids), RECORD, IDENTIFIERS, TextConfig(), DocumentsConfig(**doc_cfg), writer,
                        logging.getLogger("test"), engine=engine)
    return out, json.loads((out / "manifest.json").read_text())


def assert_clean(path: Path) -> None:
    """No planted value in any member's bytes or text, and the leak scan finds nothing."""
    data = path.read_bytes()
    views = [data.decode("latin-1")]
    if data[:2] == b"PK":
        with zipfile.ZipFile(path) as archive:
            views += [archive.read(m).decode("utf-8", "replace") for m in archive.namelist()]
        views += [text for _, text in package_texts(data)]
    for view in views:
        for leak in LEAKS:
            assert leak not in view, f"{leak!r} left in {path.name}"
    hits = Scanner(build_needles(IDENTIFIERS)).scan_file(path, path.name)
    assert not [h for h in hits if h.blocking], hits


def test_docx_every_hiding_place_is_cleaned_and_structure_kept(tmp_path, engine):
    source = tmp_path / "in.docx"
    adversarial_docx(source)
    read = read_docx(source)
    text = read.text()
    assert "Rosalind Whitfield" in text and "Deleted:" not in text and "Inserted: call Rosalind." in text
    assert "In a box: Rosalind Whitfield" in text and "Seen again: Rosalind Whitfield, who" in text
    assert read.notes == ["Footnote: Rosalind Whitfield, (415) 555-0137"]
    assert read.removed["comments"] == 1 and read.removed["custom properties"] == 1
    assert read.removed["tracked deletions"] >= 1 and read.removed["embedded images and objects (parts)"] >= 1
    part, manifest = run_part(tmp_path, {"sub-NW1234/beh/sub-NW1234_acq-notes_RosalindWhitfield.docx":
                                         source.read_bytes()}, engine)
    assert manifest["produced"] == ["sub-ab12/beh/sub-ab12_acq-notes_document.docx"], manifest
    released = part / "files" / manifest["produced"][0]
    assert_clean(released)
    with zipfile.ZipFile(released) as archive:
        names = archive.namelist()
    assert not any(n.startswith(("word/media/", "word/comments", "docProps/custom", "docProps/thumbnail"))
                   for n in names), names
    out = read_docx(released)
    assert out.header and out.footer and any(b.rows for b in out.blocks)
    assert any(b.level == 1 and b.text == "Session notes" for b in out.blocks)
    assert "Kept text." in out.text() and "[PERSON" in out.text()
    assert out.notes == [] and any(b.text == "Footnote: [PERSON_1], [PHONE_NUMBER_1]" for b in out.blocks)
    assert "13 April 2024" in out.text() or "2024-04-13" in out.text() or "April" in out.text()  # date shifted 30 d
    notes = " ".join(manifest["notes"])
    assert "comments (1)" in notes and "custom properties (1)" in notes and "tracked deletions" in notes


def test_same_input_gives_byte_identical_output(tmp_path, engine):
    source = tmp_path / "in.docx"
    adversarial_docx(source)
    files = {"sub-NW1234/beh/sub-NW1234_document.docx": source.read_bytes(),
             "sub-NW1234/beh/sub-NW1234_acq-b_document.odt": None}
    adversarial_odt(tmp_path / "in.odt")
    files["sub-NW1234/beh/sub-NW1234_acq-b_document.odt"] = (tmp_path / "in.odt").read_bytes()
    first, manifest = run_part(tmp_path / "a", files, engine)
    second, _ = run_part(tmp_path / "b", files, engine)
    assert len(manifest["produced"]) == 2
    for rel in manifest["produced"]:
        assert (first / "files" / rel).read_bytes() == (second / "files" / rel).read_bytes(), rel


def test_odt_rtf_and_pdf_are_released_clean(tmp_path, engine):
    adversarial_odt(tmp_path / "in.odt")
    files = {"sub-NW1234/beh/sub-NW1234_acq-a_document.odt": (tmp_path / "in.odt").read_bytes(),
             "sub-NW1234/beh/sub-NW1234_acq-b_document.rtf": adversarial_rtf(),
             "sub-NW1234/beh/sub-NW1234_acq-c_document.pdf": pdf_bytes(
                 "Rosalind Whitfield, 77 Larkspur Lane, phone (415) 555-0137")}
    assert "Rosalind Whitfield" in read_pdf_bytes(tmp_path, files["sub-NW1234/beh/sub-NW1234_acq-c_document.pdf"])
    part, manifest = run_part(tmp_path, files, engine)
    assert manifest["withheld"] == []
    assert sorted(manifest["produced"]) == ["sub-ab12/beh/sub-ab12_acq-a_document.odt",
                                            "sub-ab12/beh/sub-ab12_acq-b_document.rtf",
                                            "sub-ab12/beh/sub-ab12_acq-c_document.txt"]
    for rel in manifest["produced"]:
        assert_clean(part / "files" / rel)
    odt = read_odt(part / "files" / "sub-ab12/beh/sub-ab12_acq-a_document.odt")
    assert odt.header and "Comment" not in odt.text() and "[PERSON" in odt.text()
    assert "Kept before the deletion." in odt.text() and "Deleted" not in odt.text()
    assert "tracked changes" in " ".join(manifest["notes"])
    rtf = read_rtf(part / "files" / "sub-ab12/beh/sub-ab12_acq-b_document.rtf")
    assert "Café visit went well." in rtf.text() and "Comment" not in rtf.text()
    assert "Page 1" in (part / "files" / "sub-ab12/beh/sub-ab12_acq-c_document.txt").read_text()


def read_pdf_bytes(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "probe.pdf"
    path.write_bytes(data)
    return read_pdf(path).text()


def test_fail_closed_cases_are_withheld_naming_the_file(tmp_path, engine):
    import docx

    macro = io.BytesIO()
    docx.Document().save(macro)
    with zipfile.ZipFile(macro, "a") as archive:
        archive.writestr("word/vbaProject.bin", b"\x00macro")
    files = {
        "sub-NW1234/beh/sub-NW1234_acq-scan_document.pdf": pdf_bytes(None),
        "sub-NW1234/beh/sub-NW1234_acq-locked_document.docx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
        "sub-NW1234/beh/sub-NW1234_acq-broken_document.odt": b"PK\x03\x04 not really a zip",
        "sub-NW1234/beh/sub-NW1234_acq-macro_document.docx": macro.getvalue(),
        "sub-NW1234/beh/sub-NW1234_acq-tracked_document.rtf": rb"{\rtf1 Kept {\deleted Whitfield} text\par}",
    }
    _, manifest = run_part(tmp_path, files, engine)
    assert manifest["produced"] == []
    reasons = {w["source"].rsplit("/", 1)[-1]: w["reason"] for w in manifest["withheld"]}
    assert "no text layer" in reasons["sub-ab12_acq-scan_document.pdf"]
    assert "password-protected" in reasons["sub-ab12_acq-locked_document.docx"]
    assert "not a readable" in reasons["sub-ab12_acq-broken_document.odt"]
    assert "macro" in reasons["sub-ab12_acq-macro_document.docx"]
    assert "tracked deletions" in reasons["sub-ab12_acq-tracked_document.rtf"]
    for name, reason in reasons.items():
        assert reason.startswith(name), (name, reason)  # the reason names the file (by its release name)
        assert "NW1234" not in reason


def test_a_format_switched_off_is_withheld(tmp_path, engine):
    _, manifest = run_part(tmp_path, {"sub-NW1234/beh/sub-NW1234_document.rtf": adversarial_rtf()}, engine,
                           formats=["docx"])
    assert manifest["produced"] == [] and "documents.formats" in manifest["withheld"][0]["reason"]


def test_python_docx_default_template_is_read_and_rewritten(tmp_path):
    """A document nobody here wrote: the template python-docx ships (its core properties name python-docx)."""
    import docx

    from deidflow.documents.docx import write_docx

    template = Path(docx.__file__).parent / "templates" / "default.docx"
    doc = read_docx(template)
    assert doc.removed["core property author"] == 1 and doc.removed["thumbnail"] == 1
    data = write_docx(doc)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        core = archive.read("docProps/core.xml").decode()
        assert "python-docx" not in core and "docProps/thumbnail.jpeg" not in archive.namelist()
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_docutils_shipped_odt_is_read(tmp_path):
    """An .odt nobody here wrote (docutils ships its ODF writer's styles document)."""
    docutils = pytest.importorskip("docutils")
    styles = Path(docutils.__file__).parent / "writers" / "odf_odt" / "styles.odt"
    if not styles.is_file():
        pytest.skip("docutils has no styles.odt here")
    doc = read_odt(styles)
    assert isinstance(doc.blocks, list)


def test_leak_scan_sees_inside_office_packages_and_pdf_text(tmp_path):
    """A name in docProps/core.xml, in word/comments.xml, split over runs, or in a PDF's compressed text layer."""
    source = tmp_path / "leaky.docx"
    adversarial_docx(source)
    scanner = Scanner(build_needles(IDENTIFIERS))
    places = {h.file for h in scanner.scan_file(source, "sub-ab12/beh/x.docx")}
    assert any("docProps/core.xml" in p for p in places), places
    assert any("word/comments.xml" in p for p in places), places
    split_only = tmp_path / "split.docx"
    import docx

    doc = docx.Document()
    para = doc.add_paragraph()
    para.add_run("Ros")
    para.add_run("alind Whit")
    para.add_run("field")
    doc.save(split_only)
    hits = scanner.scan_file(split_only, "sub-ab12/beh/y.docx")
    assert any("(text)" in h.file for h in hits), hits
    pdf = tmp_path / "x.pdf"
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes("Seen: Rosalind Whitfield"))))
    for page in writer.pages:
        page.compress_content_streams()
    writer.metadata = None
    writer.write(pdf)
    assert b"Whitfield" not in pdf.read_bytes()
    assert any("PDF text" in h.file for h in scanner.scan_file(pdf, "sub-ab12/beh/z.pdf"))


def test_read_errors_are_document_errors(tmp_path):
    bad = tmp_path / "x.rtf"
    bad.write_bytes(b"plain text")
    with pytest.raises(DocumentError, match="x.rtf: not an RTF file"):
        read_rtf(bad)


def test_pdfs_matplotlib_ships_have_no_text_layer_and_are_refused():
    """Real PDFs nobody here wrote (matplotlib's toolbar icons: vector drawings, page entries by reference)."""
    matplotlib = pytest.importorskip("matplotlib")
    icons = sorted((Path(matplotlib.__file__).parent / "mpl-data" / "images").glob("*.pdf"))
    if not icons:
        pytest.skip("matplotlib ships no PDF icons here")
    for icon in icons:
        with pytest.raises(DocumentError, match=f"{icon.name}: no text layer"):
            read_pdf(icon)


def test_a_pdf_written_by_matplotlib_is_released_as_clean_text(tmp_path, engine):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(4, 2))
    figure.text(0.05, 0.5, "Rosalind Whitfield, 77 Larkspur Lane, (415) 555-0137")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="pdf", metadata={"Author": "Rosalind Whitfield", "CreationDate": None})
    plt.close(figure)
    part, manifest = run_part(tmp_path, {"sub-NW1234/beh/sub-NW1234_document.pdf": buffer.getvalue()}, engine)
    assert manifest["produced"] == ["sub-ab12/beh/sub-ab12_document.txt"]
    released = part / "files" / manifest["produced"][0]
    assert_clean(released)
    assert "[PERSON_1], [STREET_ADDRESS_1], [PHONE_NUMBER_1]" in released.read_text()


def test_documents_are_their_own_kind_and_withheld_when_the_step_is_off():
    from deidflow.discovery import classify
    from deidflow.steps import enabled_parts, withheld_kinds

    assert classify("sub-A1/beh/sub-A1_notes.docx").kind == "document"
    assert classify("sub-A1/ses-1/anat/sub-A1_ses-1_report.pdf").kind == "document"
    assert classify("sub-A1/beh/sub-A1_notes.docm").kind == "unknown"  # macro-enabled: no rule, withheld
    assert classify("sub-A1/notes.docx").kind == "unknown"  # not in a datatype folder
    off = {"steps": {"documents": False}}
    assert withheld_kinds(off)["document"] == "step documents is off (steps.documents: false)"
    assert "document" not in enabled_parts({"document": ("document",)}, off)


def test_a_scans_row_of_a_released_document_is_kept(tmp_path):
    from deidflow.scans import release_scans

    table = tmp_path / "sub-NW1234" / "sub-NW1234_scans.tsv"
    table.parent.mkdir()
    table.write_text("filename\tacq_time\nbeh/sub-NW1234_session-notes.docx\t2024-03-14T10:00:00\n"
                     "beh/sub-NW1234_acq-x_document.pdf\t2024-03-14T11:00:00\n")
    own, text, dropped = release_scans(table, "sub-NW1234/sub-NW1234_scans.tsv", RECORD,
                                       {"sub-ab12/beh/sub-ab12_document.docx"})
    assert own == "sub-ab12/sub-ab12_scans.tsv"
    assert text.splitlines()[1] == "beh/sub-ab12_document.docx\t2024-04-13T10:00:00"
    assert dropped == 1  # a PDF is released as text under another name: its row is dropped, never guessed
