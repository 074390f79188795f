"""Transcript structure, encodings and chunking: what is analysed, what is kept, nothing lost at window edges."""

from __future__ import annotations

import codecs

import pytest
from presidio_analyzer import RecognizerResult

from deidflow.text.chunking import analyze_chunked, resolve, windows
from deidflow.text.encoding import TranscriptEncodingError, decode
from deidflow.text.formats import TranscriptFormatError, mask, structure_spans

VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.000 align:start
<v Interviewer>Hello Mary, how are you?

intro-cue
00:00:04.500 --> 00:00:08.000
<v Participant>Fine.
"""
SRT = """1
00:00:01,000 --> 00:00:04,000
Interviewer: Hello Mary.

2
00:00:04,500 --> 00:00:08,000
Participant: Hi.
"""


def test_vtt_timings_cue_numbers_and_voice_tags_are_structure_and_speech_is_content():
    masked = mask(VTT, structure_spans(VTT, "vtt"))
    assert len(masked) == len(VTT)
    assert "-->" not in masked and "WEBVTT" not in masked and "Interviewer" not in masked
    assert "Hello Mary, how are you?" in masked
    assert "intro-cue" in masked  # a free-text cue id could hold a name: it is analysed


def test_srt_speaker_labels_and_indices_are_kept_out_of_analysis():
    masked = mask(SRT, structure_spans(SRT, "srt"))
    assert "Interviewer" not in masked and "Participant" not in masked and "-->" not in masked
    assert "Hello Mary." in masked and masked.count("\n") == SRT.count("\n")


def test_unknown_speaker_name_at_line_start_is_analysed_not_kept():
    text = "Interviewer: hi\nMargaret: hello\nP1: ok\n"
    masked = mask(text, structure_spans(text, "txt"))
    assert "Margaret" in masked and "Interviewer" not in masked and "P1:" not in masked


def test_vtt_without_header_or_srt_without_timings_is_rejected():
    with pytest.raises(TranscriptFormatError, match="WEBVTT"):
        structure_spans("Hello Mary\n", "vtt")
    with pytest.raises(TranscriptFormatError, match="timings"):
        structure_spans("Hello Mary\n", "srt")


@pytest.mark.parametrize("data,encoding", [
    (codecs.BOM_UTF8 + "Zoë".encode(), "utf-8-sig"),
    ("Zoë".encode("utf-16"), "utf-16"),
    ("Zoë".encode(), "utf-8"),
])
def test_bom_and_utf8_are_decoded(data, encoding):
    assert decode(data, "x.txt") == ("Zoë", encoding)


def test_cp1252_is_detected_and_undecodable_bytes_fail_naming_the_file():
    text, encoding = decode("Interviewer: Ms. Zoë Müller said “ok” at the café. ".encode("cp1252") * 5, "a.txt")
    assert "Zoë Müller" in text and encoding != "utf-8"
    with pytest.raises(TranscriptEncodingError, match=r"sub-x/beh/b\.txt.*UTF-8"):
        decode(bytes(range(128, 256)) * 4 + b"\x00\x81\x8d", "sub-x/beh/b.txt")
    with pytest.raises(TranscriptEncodingError, match="b.txt"):
        decode("café".encode("cp1252"), "b.txt", allow_guess=False)


def test_windows_cover_the_text_with_overlap():
    text = "word " * 1000
    spans = windows(len(text), 400, 100, text)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(b[0] < a[1] - 50 for a, b in zip(spans, spans[1:]))


def test_entity_across_a_window_edge_is_found_whole_once():
    text = ("filler " * 60) + "Maximilian Oberhausen" + (" filler" * 60)
    start = text.index("Maximilian")

    def analyze(chunk: str) -> list[RecognizerResult]:
        # A detector that only sees whole names (a name cut by the window is not recognised).
        i = chunk.find("Maximilian Oberhausen")
        return [] if i < 0 else [RecognizerResult("PERSON", i, i + 21, 0.85)]

    for size in (200, 300, 430, 500):
        found = analyze_chunked(text, analyze, size=size, overlap=80)
        assert [(r.start, r.end) for r in found] == [(start, start + 21)], size


def test_overlapping_results_merge_into_their_union():
    merged = resolve([RecognizerResult("PERSON", 10, 20, 0.85), RecognizerResult("PERSON", 15, 20, 1.0),
                      RecognizerResult("LOCATION", 30, 35, 0.5)])
    assert [(r.start, r.end, r.entity_type) for r in merged] == [(10, 20, "PERSON"), (30, 35, "LOCATION")]


def test_a_specific_pattern_type_names_a_merged_span():
    merged = resolve([RecognizerResult("DATE_TIME", 5, 10, 0.85), RecognizerResult("POSTCODE", 5, 10, 0.65)])
    assert [(r.entity_type, r.score) for r in merged] == [("POSTCODE", 0.85)]
