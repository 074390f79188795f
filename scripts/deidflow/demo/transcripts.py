"""Demo interview transcripts (plain text and WebVTT) that mention every identifier a participant has."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

from .people import Person

# (speaker, line) templates; {field} placeholders are filled from the person and recorded as gold spans.
LINES = [
    ("Interviewer", "Thank you for coming in today, {first_name}. For the record, could you state your full name?"),
    ("Participant", "Sure. It's {full_name}, but everybody calls me {nickname}."),
    ("Interviewer", "And your date of birth?"),
    ("Participant", "I was born on {date_of_birth}."),
    ("Interviewer", "Where do you live at the moment?"),
    ("Participant",
     "At {street_address} in {city}, zip code {postcode}. I moved there with my {relation0}, {relative0}."),
    ("Interviewer", "Who else helps you at home?"),
    ("Participant", "My {relation1} {relative1} comes by on weekends. {relative1_first} drives over after work."),
    ("Interviewer", "Can you tell me about your work?"),
    ("Participant", "I work at {employer}. My boss there knows about today's visit on {visit_date}."),
    ("Interviewer", "Who is treating you at the moment?"),
    ("Participant", "{physician_name} at {hospital}. I saw {physician_last} again on {visit_date_long}."),
    ("Interviewer", "What is the best way to reach you?"),
    ("Participant", "Call me on {phone} or write to {email}."),
    ("Interviewer", "And for the reimbursement form, your social security number?"),
    ("Participant", "It's {national_id}."),
    ("Interviewer", "Thank you, {nickname}. That is all for today."),
]
SMALL_LINES = [0, 1, 3, 5, 11, 13, 15]
KIND = {
    "first_name": "PERSON", "full_name": "PERSON", "nickname": "PERSON", "relative0": "PERSON", "relative1": "PERSON",
    "relative1_first": "PERSON", "physician_name": "PERSON", "physician_last": "PERSON", "city": "LOCATION",
    "street_address": "STREET_ADDRESS", "postcode": "POSTCODE", "employer": "ORGANIZATION", "hospital": "ORGANIZATION",
    "date_of_birth": "DATE_TIME", "visit_date": "DATE_TIME", "visit_date_long": "DATE_TIME", "phone": "PHONE_NUMBER",
    "email": "EMAIL_ADDRESS", "national_id": "ID",
}
_FIELD = re.compile(r"\{(\w+)\}")


def long_date(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def values(person: Person, rng: random.Random) -> dict[str, str]:
    """The placeholder values for one person (dates written the way people say them)."""
    physician = person.physician.removeprefix("Dr. ")
    return {
        "first_name": person.first_name, "full_name": person.full_name, "nickname": person.nickname,
        "date_of_birth": rng.choice([long_date(person.date_of_birth), person.date_of_birth.strftime("%m/%d/%Y"),
                                     f"{person.date_of_birth.day} {person.date_of_birth:%B %Y}"]),
        "street_address": person.street_address, "city": person.city, "postcode": person.postcode,
        "relation0": person.relatives[0][0], "relative0": person.relatives[0][1],
        "relation1": person.relatives[1][0], "relative1": person.relatives[1][1],
        "relative1_first": person.relatives[1][1].split()[0],
        "employer": person.employer, "visit_date": person.visit_date.isoformat(),
        "visit_date_long": long_date(person.visit_date), "physician_name": f"Dr. {physician}",
        "physician_last": f"Dr. {physician.split()[-1]}", "hospital": person.hospital, "phone": person.phone,
        "email": person.email, "national_id": person.national_id,
    }


def render(lines: list[tuple[str, str]], fields: dict[str, str]) -> tuple[list[tuple[str, str]], list[list]]:
    """Fill templates: ([(speaker, text)], [[line_index, start, end, entity, field]] spans within each text)."""
    out, spans = [], []
    for index, (speaker, template) in enumerate(lines):
        text, last = "", 0
        for m in _FIELD.finditer(template):
            text += template[last:m.start()]
            value, name = fields[m.group(1)], m.group(1)
            start = len(text) + (4 if value.startswith("Dr. ") else 0)
            text += value
            if name in KIND:
                spans.append([index, start, len(text), KIND[name], name])
            last = m.end()
        out.append((speaker, text + template[last:]))
    return out, spans


def to_txt(lines: list[tuple[str, str]]) -> str:
    return "".join(f"{speaker}: {text}\n" for speaker, text in lines)


def to_vtt(lines: list[tuple[str, str]]) -> str:
    cues, t = ["WEBVTT", ""], 1.0
    for i, (speaker, text) in enumerate(lines, 1):
        end = t + 2.5 + len(text) / 20
        cues += [str(i), f"{_ts(t)} --> {_ts(end)}", f"<v {speaker}>{text}", ""]
        t = end + 0.5
    return "\n".join(cues)


def _ts(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def write(study_dir: Path, person: Person, rng: random.Random, *, small: bool = False) -> list[Path]:
    """Write the person's interview as sub-<label>/beh/..._transcript.txt and, for about half, a .vtt one too."""
    beh = Path(study_dir) / f"sub-{person.label}" / "beh"
    beh.mkdir(parents=True, exist_ok=True)
    templates = [LINES[i] for i in SMALL_LINES] if small else LINES
    lines, _ = render(templates, values(person, rng))
    txt = beh / f"sub-{person.label}_task-interview_transcript.txt"
    txt.write_text(to_txt(lines), encoding="utf-8")
    written = [txt]
    if small or rng.random() < 0.5:
        vtt = beh / f"sub-{person.label}_task-followup_transcript.vtt"
        follow, _ = render(templates[::-1], values(person, rng))
        vtt.write_text(to_vtt(follow), encoding="utf-8")
        written.append(vtt)
    return written
