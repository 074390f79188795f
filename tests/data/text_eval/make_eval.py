"""Regenerate eval.json: synthetic interview passages with gold identifier spans (run from the repo root:
`.venv/bin/python tests/data/text_eval/make_eval.py`). The file is committed; tests only read it."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))

from deidflow.demo.people import make_people  # noqa: E402
from deidflow.demo.tables import participant_row  # noqa: E402
from deidflow.demo.transcripts import LINES, render, values  # noqa: E402

# What participants.tsv holds (config identifiers.columns): these are the study-known identifiers.
COLUMNS = {"full_name": "name", "email": "email", "phone": "phone", "street_address": "address", "city": "place",
           "date_of_birth": "date", "national_id": "id", "emergency_contact": "name", "employer": "org"}
KNOWN_FIELDS = {"full_name", "first_name", "email", "phone", "street_address", "city", "date_of_birth",
                "national_id", "relative0", "employer"}

NARRATIVE = [
    ("Interviewer", "Let's start with some background. How long have you lived in {city}?"),
    ("Participant", "About ten years. We bought the house on {street_address} when {relative0} got the job."),
    ("Interviewer", "Does anyone else live with you?"),
    ("Participant", "No, but {relative1} lives nearby. Honestly {relative1_first} is the one who keeps me going."),
    ("Interviewer", "You mentioned your employer earlier."),
    ("Participant", "Yes, {employer}. I've been there since before my diagnosis."),
    ("Interviewer", "When did the symptoms start?"),
    ("Participant", "Around the time of my appointment on {visit_date_long}, I think. {physician_name} referred me."),
    ("Interviewer", "Which clinic was that?"),
    ("Participant", "{hospital}, the one near {postcode}."),
]
SHORT = [
    ("Interviewer", "Name?"),
    ("Participant", "{full_name}."),
    ("Interviewer", "DOB?"),
    ("Participant", "{date_of_birth}."),
    ("Interviewer", "Phone and e-mail, please."),
    ("Participant", "{phone}, and {email}"),
    ("Interviewer", "ID number for the payment?"),
    ("Participant", "{national_id}"),
    ("Interviewer", "Emergency contact?"),
    ("Participant", "My {relation0}, {relative0}."),
    ("Interviewer", "And you last saw the doctor when?"),
    ("Participant", "On {visit_date}, with {physician_last}. Call me {nickname}, by the way."),
]


def passage(lines: list[tuple[str, str]], fields: dict[str, str]) -> tuple[str, list[dict]]:
    rendered, spans = render(lines, fields)
    offsets, text = [], ""
    for speaker, line in rendered:
        offsets.append(len(text) + len(speaker) + 2)
        text += f"{speaker}: {line}\n"
    gold = [{"start": offsets[i] + s, "end": offsets[i] + e, "entity": ent, "field": name,
             "known": name in KNOWN_FIELDS, "value": text[offsets[i] + s:offsets[i] + e]}
            for i, s, e, ent, name in spans]
    return text, gold


def main() -> None:
    people = make_people(12, seed=2026)
    rng = random.Random(2026)
    passages = []
    for n, person in enumerate(people):
        row = participant_row(person)
        identifiers = [{"value": str(row[c]), "kind": k, "column": c} for c, k in COLUMNS.items() if row.get(c)]
        for variant, lines in (("interview", LINES[:9] + LINES[11:]), ("narrative", NARRATIVE), ("short", SHORT)):
            text, gold = passage(lines, values(person, rng))
            passages.append({"id": f"p{n:02d}-{variant}", "text": text, "identifiers": identifiers, "gold": gold})
    out = Path(__file__).with_name("eval.json")
    out.write_text(json.dumps({"format": "deidflow-text-eval/1", "passages": passages}, indent=1) + "\n")
    print(f"{out}: {len(passages)} passages, {sum(len(p['gold']) for p in passages)} gold spans")


if __name__ == "__main__":
    main()
