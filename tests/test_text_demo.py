"""The demo generator writes transcripts that carry every kind of identifier the step must remove."""

from __future__ import annotations

import random

from deidflow.demo.people import make_people
from deidflow.demo.transcripts import write


def test_demo_transcripts_mention_the_participants_identifiers(tmp_path):
    person = make_people(1, seed=5)[0]
    files = write(tmp_path, person, random.Random(1), small=False)
    txt = files[0].read_text()
    assert files[0].relative_to(tmp_path).as_posix() == (
        f"sub-{person.label}/beh/sub-{person.label}_task-interview_transcript.txt")
    for value in (person.full_name, person.nickname, person.city, person.street_address, person.postcode,
                  person.hospital, person.employer, person.phone, person.email, person.national_id,
                  person.relatives[0][1], person.visit_date.isoformat()):
        assert value in txt, value
    assert txt.startswith("Interviewer: ")
    small = write(tmp_path / "s", person, random.Random(1), small=True)
    assert [f.suffix for f in small] == [".txt", ".vtt"] and small[1].read_text().startswith("WEBVTT\n")
