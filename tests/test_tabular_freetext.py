"""Free-text columns (role text) cleaned by the transcript step's library with each row's own identifiers: the
participant's name, e-mail and phone are gone from the released notes, the same person gets the same surrogate, a
date moves by the subject's shift. Loads the spaCy model (run under the heavy-job lock)."""

from __future__ import annotations

import pandas as pd
import pytest
from test_tabular_release import config, make_study, release


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("freetext")
    study, records = make_study(tmp, n=12, seed=9)
    table = pd.read_csv(study / "participants.tsv", sep="\t", dtype=str)
    table["full_name"] = ["Jodi Castro", "Marek Novak", "Aisha Bello", "Tom Baker"] * 3
    table["notes"] = [f"{name} said to email {mail} or call {phone}. {name.split()[0]} came back on 2024-03-15."
                      for name, mail, phone in zip(table["full_name"], table["email"], table["phone"])]
    table.loc[5, "notes"] = None
    table.to_csv(study / "participants.tsv", sep="\t", index=False)
    cfg = config(k=2)
    cfg["participants"]["notes"] = {"role": "text",
                                    "identifiers": {"full_name": "name", "email": "email", "phone": "phone"}}
    summary, tables, _ = release(tmp, study, records, cfg)
    return table, tables["participants.tsv"], summary, records


def test_row_identifiers_are_removed_from_free_text(released):
    original, out, summary, _ = released
    for i, note in enumerate(out["notes"]):
        if i == 5:
            assert note == "n/a", "an empty cell stays empty"
            continue
        for value in (original["full_name"][i], original["full_name"][i].split()[0], original["email"][i],
                      original["phone"][i]):
            assert value not in note, f"row {i}: an identifier survived"
        assert "[PERSON_1]" in note and note.count("[PERSON_1]") == 2, "the person is one surrogate throughout"
    info = summary["tables"]["participants.tsv"]["free_text"]["notes"]
    assert info["cells_withheld"] == 0 and info["entities_replaced"]["PERSON"] >= 11


def test_dates_in_free_text_move_by_the_subject_shift(released):
    original, out, _, records = released
    by_pseudo = {f"sub-{r.pseudonym}": r for r in records.values()}
    pid, note = out["participant_id"][0], out["notes"][0]
    shifted = (pd.Timestamp("2024-03-15") + pd.Timedelta(days=by_pseudo[pid].date_shift_days)).strftime("%Y-%m-%d")
    assert "2024-03-15" not in note and shifted in note


def test_an_unknown_identifier_column_is_named(tmp_path):
    study, records = make_study(tmp_path, n=6)
    table = pd.read_csv(study / "participants.tsv", sep="\t", dtype=str)
    table["notes"] = "fine"
    table.to_csv(study / "participants.tsv", sep="\t", index=False)
    cfg = config(k=2)
    cfg["participants"]["notes"] = {"role": "text", "identifiers": {"nickname": "name"}}
    with pytest.raises(Exception, match="column 'notes' \\(role text\\): identifiers names column 'nickname'"):
        release(tmp_path, study, records, cfg)


def test_free_text_is_analysed_in_each_rows_language(tmp_path):
    """A bilingual study (`text.language_column`): a Finnish note keeps neither its street address, its city nor its
    personal identity code, which an English analysis does not know; the English rows are still cleaned."""
    from test_tabular_release import KEY

    from deidflow.parts import PartWriter
    from deidflow.tabular.release import release_study

    study, records = make_study(tmp_path, n=8, seed=4)
    table = pd.read_csv(study / "participants.tsv", sep="\t", dtype=str)
    table["language"] = ["fi", "en"] * 4
    finnish = ("Hän asuu osoitteessa Mannerheimintie 12 B 7, 00100 Helsinki, ja hänen henkilötunnuksensa on "
               "131052-308T.")
    table["notes"] = [finnish if lang == "fi" else f"{name} moved to 12 Elm Street, Springfield."
                      for lang, name in zip(table["language"], table["full_name"])]
    table.to_csv(study / "participants.tsv", sep="\t", index=False)
    cfg = config(k=2)
    cfg["participants"]["language"] = "drop"
    cfg["participants"]["notes"] = {"role": "text", "identifiers": {"full_name": "name"}}
    paths = [study / "participants.tsv", study / "phenotype" / "visits.tsv"]
    with PartWriter(tmp_path / "part", "tables", None) as writer:
        summary = release_study(paths, study, cfg, records, KEY, writer,
                                text_cfg={"language": "en", "language_column": "language"})
    out = pd.read_csv(tmp_path / "part" / "files" / "participants.tsv", sep="\t", dtype=str, keep_default_na=False)
    for note in out["notes"]:
        for value in ("Mannerheimintie", "Helsinki", "131052", "308T", "Elm Street", "Person"):
            assert value not in note, (value, note)
    info = summary["tables"]["participants.tsv"]["free_text"]["notes"]
    assert info["languages"] == {"en": 4, "fi": 4} and info["cells_withheld"] == 0

    table["language"] = ["fi", "xx"] * 4
    table.to_csv(study / "participants.tsv", sep="\t", index=False)
    with pytest.raises(Exception, match="language_column: participants.tsv column 'language', line 3.*'xx'"):
        with PartWriter(tmp_path / "bad", "tables", None) as writer:
            release_study(paths, study, cfg, records, KEY, writer,
                          text_cfg={"language": "en", "language_column": "language"})
