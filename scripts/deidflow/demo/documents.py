"""Demo session notes (.docx) that carry the participant's identifiers where real notes do: body, table, header,
footer, a comment, a tracked deletion and the core properties."""

from __future__ import annotations

import datetime as dt
import io
import random
from pathlib import Path

from .people import Person

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def notes_docx(person: Person, rng: random.Random, *, small: bool = False) -> bytes:
    """A Word document of a clinician's session notes about `person` (same person and rng state: same bytes)."""
    import docx
    from docx.oxml import parse_xml

    from ..documents.package import normalize_zip

    visit = person.visit_date.strftime("%d %B %Y").lstrip("0")
    doc = docx.Document()
    core = doc.core_properties
    core.author = core.last_modified_by = person.physician
    core.title = f"Session notes - {person.full_name}"
    core.subject = f"{person.full_name}, born {person.date_of_birth.isoformat()}"
    core.keywords = f"{person.city}; {person.label}"
    core.comments = f"Phone {person.phone}"
    core.created = core.modified = core.last_printed = dt.datetime.combine(person.visit_date, dt.time(17, 30))
    core.revision = rng.randint(2, 9)
    section = doc.sections[0]
    section.header.paragraphs[0].text = f"{person.hospital} - {person.full_name} (record {person.label})"
    section.footer.paragraphs[0].text = f"Confidential - {person.email}"
    doc.add_heading("Session notes", level=1)
    opening = doc.add_paragraph(
        f"{person.full_name} (born {person.date_of_birth.strftime('%B %d, %Y')}) was seen on {visit} by "
        f"{person.physician}. {person.first_name} lives at {person.street_address}, {person.city} {person.postcode}.")
    doc.add_comment(opening.runs, text=f"Check the address with {person.first_name} by phone {person.phone}",
                    author=person.physician, initials="".join(p[0] for p in person.physician.split()[:2]))
    if not small:
        table = doc.add_table(rows=3, cols=2)
        for row, (label, value) in enumerate([("Phone", person.phone), ("E-mail", person.email),
                                              ("Next visit", (person.visit_date + dt.timedelta(days=rng.randint(
                                                  20, 60))).isoformat())]):
            table.cell(row, 0).text = label
            table.cell(row, 1).text = value
    relation, relative = person.relatives[0] if person.relatives else ("friend", "a friend")
    tracked = doc.add_paragraph(f"Came with {relative} ({relation}). ")
    tracked._p.append(parse_xml(
        f'<w:del {W_NS} w:id="1" w:author="{person.physician}" w:date="{person.visit_date.isoformat()}T17:00:00Z">'
        f'<w:r><w:delText>Old address: {person.street_address}</w:delText></w:r></w:del>'))
    doc.add_paragraph(f"Plan: follow up at {person.hospital}; call {person.nickname} on {person.phone}.")
    buffer = io.BytesIO()
    doc.save(buffer)
    return normalize_zip(buffer.getvalue())


def write(study_dir: Path, person: Person, rng: random.Random, *, small: bool = False) -> None:
    """The subject's session notes as beh/sub-<label>_session-notes.docx."""
    folder = Path(study_dir) / f"sub-{person.label}" / "beh"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"sub-{person.label}_session-notes.docx").write_bytes(notes_docx(person, rng, small=small))
