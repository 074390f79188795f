"""De-identifying transcripts end to end with the installed spaCy model: identifiers gone, structure kept."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from deidflow.parts import PartWriter
from deidflow.subjects import SubjectRecord
from deidflow.text.deidentify import TextConfig, deidentify_bytes, deidentify_subject, seed_names, study_deny
from deidflow.text.engine import ModelNotInstalledError, analyzer
from deidflow.text.surrogates import Surrogates

ITEMS = [
    {"value": "Rosalind Whitfield", "kind": "name"},
    {"value": "Edmund Whitfield", "kind": "name"},
    {"value": "(415) 555-0137", "kind": "phone"},
    {"value": "r.whitfield@example.org", "kind": "email"},
    {"value": "1961-07-14", "kind": "date"},
    {"value": "Fairhaven", "kind": "place"},
    {"value": "77 Larkspur Lane", "kind": "address"},
    {"value": "Brightwater Logistics", "kind": "org"},
]
TXT = """Interviewer: Good morning Rosalind. Can you confirm your date of birth?
Participant: July 14, 1961. I still live at 77 Larkspur Lane in Fairhaven, zip code 94930.
Interviewer: And the best number?
Participant: 415-555-0137, or r.whitfield@example.org. My husband Edmund drives me; he retired from Brightwater Logistics.
Participant: My neighbour Thomas Okafor helps too. Tom is very kind. My SSN is 512-44-9081.
"""


@pytest.fixture(scope="module")
def engine():
    return analyzer()


@pytest.fixture()
def run(engine):
    cfg = TextConfig()
    deny, check = study_deny(ITEMS, cfg)

    def go(data: bytes, name: str = "sub-ab12/beh/sub-ab12_task-interview_transcript.txt", **kw):
        surrogates = kw.pop("surrogates", None) or Surrogates("ab12", shift_days=30)
        return deidentify_bytes(data, name, engine, deny, check, surrogates, TextConfig(**kw) if kw else cfg)

    return go


LEAKS = ["Rosalind", "Whitfield", "Edmund", "Fairhaven", "Larkspur", "94930", "555-0137", "example.org", "July 14",
         "Brightwater", "Thomas", "Okafor", "512-44-9081"]


def test_study_identifiers_contacts_and_new_names_are_replaced_and_speakers_kept(run):
    result = run(TXT.encode())
    assert result.error is None
    for value in LEAKS:
        assert value not in result.text, value
    assert [line.split(":")[0] for line in result.text.splitlines()] == [
        "Interviewer", "Participant", "Interviewer", "Participant", "Participant"]
    assert "August 13, 1961" in result.text  # the date of birth moved by the subject's 30 days
    assert "Larkspur" not in result.text and "[PHONE_NUMBER_1]" in result.text
    assert ("512-44-9081", "transcript:ID") in result.leak_values


def test_the_same_person_gets_the_same_tag_across_a_subjects_files(run):
    surrogates = Surrogates("ab12")
    first = run(b"Interviewer: Hello Rosalind Whitfield.\n", surrogates=surrogates).text
    second = run(b"Participant: Rosalind Whitfield is my name.\n", surrogates=surrogates).text
    tag = first.split("Hello ")[1].rstrip(".\n")
    assert tag.startswith("[PERSON_") and tag in second


def test_vtt_and_srt_timings_are_untouched_and_names_replaced(run):
    vtt = ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.500 align:start\n<v Interviewer>Hi Rosalind, say your phone?\n\n"
           "2\n00:00:04.000 --> 00:00:06.000\n<v Participant>It is (415) 555-0137.\n")
    out = run(vtt.encode(), "x.vtt").text
    assert "Rosalind" not in out and "555-0137" not in out
    assert out.splitlines()[:4] == vtt.splitlines()[:4] and "<v Participant>" in out
    srt = "1\n00:00:01,000 --> 00:00:03,500\nInterviewer: Hi Edmund Whitfield.\n"
    out = run(srt.encode(), "x.srt").text
    assert out.startswith("1\n00:00:01,000 --> 00:00:03,500\nInterviewer: Hi [PERSON_") and "Edmund" not in out


def test_phone_numbers_at_presidios_own_score_are_replaced(run):
    out = run(b"Participant: you can reach my sister on (212) 555-0199 any evening.\n").text
    assert "(212) 555-0199" not in out


def test_phone_below_a_raised_threshold_is_left_which_is_why_the_default_is_04(run):
    out = run(b"Participant: you can reach my sister on (212) 555-0199 any evening.\n",
              entity_thresholds={}, score_threshold=0.5).text
    assert "(212) 555-0199" in out


def test_non_utf8_transcript_is_read_and_bad_bytes_are_refused(run):
    result = run("Interviewer: Rosalind, café at 77 Larkspur Lane?\n".encode("utf-16"))
    assert result.error is None and "Rosalind" not in result.text and result.encoding == "utf-16"
    bad = run("Interviewer: café with Rosalind\n".encode("cp1252"), "sub-ab12/beh/x.txt", guess_encoding=False)
    assert bad.text is None and "sub-ab12/beh/x.txt" in bad.error and "UTF-8" in bad.error


def test_empty_and_invalid_files(run):
    assert run(b"").text == "" and run(b"").error is None
    bad = run(b"no header here\n", "sub-ab12/beh/y.vtt")
    assert bad.text is None and "y.vtt" in bad.error and "WEBVTT" in bad.error


def test_a_long_transcript_is_chunked_without_losing_a_name_on_a_window_edge(run):
    line = "Participant: We talked about the garden and the weather for a while.\n"
    text = line * 40 + "Participant: Then Edmund Whitfield arrived.\n" + line * 40
    for chunk in (700, 1100, 2000):
        out = run(text.encode(), chunk_chars=chunk, chunk_overlap=200).text
        assert "Edmund" not in out and "Whitfield" not in out, chunk
        assert out.count("Participant:") == 81


def test_a_subject_part_releases_pseudonymized_files_and_withholds_bad_ones(tmp_path: Path):
    bids = tmp_path / "bids"
    beh = bids / "sub-NW1234" / "beh"
    beh.mkdir(parents=True)
    (beh / "sub-NW1234_task-interview_transcript.txt").write_text(TXT)
    (beh / "sub-NW1234_task-broken_transcript.vtt").write_text("not a vtt\n")
    record = SubjectRecord("NW1234", "ab12", 30, {})
    identifiers = {"subjects": {"ab12": ITEMS}, "global": []}
    out = tmp_path / "part"
    with PartWriter(out, "transcript", "ab12") as writer:
        deidentify_subject([str(p) for p in beh.iterdir()], str(bids), record, identifiers, TextConfig(), writer,
                           logging.getLogger("test"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["produced"] == ["sub-ab12/beh/sub-ab12_task-interview_transcript.txt"]
    [withheld] = manifest["withheld"]
    assert withheld["source"] == "sub-ab12/beh/sub-ab12_task-broken_transcript.vtt" and "WEBVTT" in withheld["reason"]
    released = (out / "files" / manifest["produced"][0]).read_text()
    assert all(v not in released for v in LEAKS)
    assert "Good morning [PERSON_1]." in released  # the participant (seeded from the study's names) is PERSON_1
    known = {i["value"] for i in json.loads((out / "identifiers.json").read_text())["values"]}
    assert {"Rosalind Whitfield", "(415) 555-0137", "512-44-9081"} <= known
    risk = json.loads((out / "risk.json").read_text())
    assert risk["metrics"]["released"] == 1 and risk["metrics"]["withheld"] == 1
    assert "Rosalind" not in json.dumps(manifest) + json.dumps(risk)


def test_a_model_that_is_not_installed_fails_clearly():
    with pytest.raises(ModelNotInstalledError, match="en_core_web_zz.*never downloads"):
        analyzer("en_core_web_zz")


def test_dicom_header_values_join_the_deny_list_whole():
    from deidflow.text.deidentify import dicom_items
    from deidflow.text.recognizers import deny_terms

    items = dicom_items([
        {"kind": "dicom:InstitutionName", "value": "South Benjaminview General Hospital"},
        {"kind": "dicom:ReferringPhysicianName", "value": "Dr.^Shelby^Ramirez"},
        {"kind": "dicom:PatientName", "value": "Jackson^Jackie"},
        {"kind": "dicom:PatientTelephoneNumbers", "value": "(836) 421-5943"},
        {"kind": "dicom:SeriesDescription", "value": "CT head localizer"},
        {"kind": "dicom:StudyInstanceUID", "value": "1.2.3"},
    ])
    assert items == [
        {"value": "South Benjaminview General Hospital", "kind": "institution"},
        {"value": "Shelby Ramirez", "kind": "name"},
        {"value": "Jackie Jackson", "kind": "name"},
        {"value": "(836) 421-5943", "kind": "phone"},
    ]
    terms = deny_terms(items)
    assert terms["south benjaminview general hospital"] == "ORGANIZATION"
    assert "general" not in terms and "hospital" not in terms  # an institution is kept whole
    assert terms["ramirez"] == "PERSON" and terms["jackie"] == "PERSON"


def test_whole_written_dates_are_one_span_shifted_in_their_own_style(run):
    out = run(b"Participant: I was admitted on Monday the 4th of January 2021, discharged 4th Jan '21, "
              b"seen again on January 9th, 2021 and on the 31st of February 2021.\n").text
    assert "Wednesday the 3rd of February 2021" in out and "3rd Feb '21" in out and "February 8th, 2021" in out
    assert "4th" not in out and "9th" not in out and "January" not in out and "Monday" not in out
    assert "[DATE]" in out  # no 31st of February: the unparseable date is tagged, not left


def test_address_parts_joined_names_and_diacritics_from_the_forms_are_replaced(engine):
    items = [{"value": "Rua das Flores 88, 4050-262 Porto", "kind": "address"},
             {"value": "José Bóthar", "kind": "name"}]
    cfg = TextConfig()
    deny, check = study_deny(items, cfg)
    text = ("Participant: I live at Rua das Flores 88 in Porto, post code 4050 262. Write to Jose Bothar, "
            "J. Bóthar or JoseBothar; BÓTHAR signs as jose_bothar.\n")
    surrogates = Surrogates("ab12")
    seed_names(surrogates, items)
    out = deidentify_bytes(text.encode(), "x.txt", engine, deny, check, surrogates, cfg).text
    for value in ("Flores", "Porto", "4050", "Jose", "Bothar", "Bóthar", "BÓTHAR", "jose_bothar", "JoseBothar"):
        assert value not in out, value
    assert "Write to [PERSON_1], [PERSON_1] or [PERSON_1]" in out and "signs as [PERSON_1]" in out  # one person


def test_utf16_without_a_byte_order_mark_is_decoded_and_the_name_replaced(run):
    result = run("Interviewer: Good morning Rosalind Whitfield.\n".encode("utf-16-le"))
    assert result.error is None and result.encoding == "utf-16-le"
    assert "Rosalind" not in result.text and "Whitfield" not in result.text


def test_strict_mode_replaces_every_uncommon_word_and_states_what_it_cost(run, tmp_path: Path):
    text = b"Participant: my little brother, we call him Pim, fixes bikes on Inishbofin near the harbour.\n"
    default = run(text).text
    assert "Pim" in default  # no detector knows a nickname nobody listed
    strict = run(text, mode="strict").text
    assert "Pim" not in strict and "Inishbofin" not in strict
    assert "my little brother, we call him" in strict and "fixes bikes on" in strict and "harbour" in strict
    assert strict.startswith("Participant: ")
    with pytest.raises(ValueError, match="text.mode"):
        TextConfig(mode="paranoid")
    bids = tmp_path / "bids"
    beh = bids / "sub-NW1234" / "beh"
    beh.mkdir(parents=True)
    (beh / "sub-NW1234_task-interview_transcript.txt").write_bytes(text)
    with PartWriter(tmp_path / "part", "transcript", "ab12") as writer:
        deidentify_subject([str(p) for p in beh.iterdir()], str(bids), SubjectRecord("NW1234", "ab12", 30, {}),
                           {"subjects": {"ab12": ITEMS}, "global": []}, TextConfig(mode="strict"), writer,
                           logging.getLogger("test"))
    metrics = json.loads((tmp_path / "part" / "risk.json").read_text())["metrics"]
    assert metrics["mode"] == "strict" and metrics["strict_words_replaced"] >= 1 and metrics["words"] >= 10
    assert 0 < metrics["strict_share"] < 0.3
