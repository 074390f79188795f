"""Replacements: the same value gets the same surrogate within a subject; dates move by the subject's shift."""

from __future__ import annotations

import pytest

from deidflow.text.surrogates import Surrogates, parse_date


def test_tags_are_consistent_within_a_subject_and_ignore_case_and_spacing():
    s = Surrogates("ab12")
    assert s("PERSON", "Mary Jones") == s("PERSON", "mary  JONES") == "[PERSON_1]"
    assert s("PERSON", "Bob") == "[PERSON_2]" and s("LOCATION", "Mary Jones") == "[LOCATION_1]"


@pytest.mark.parametrize("written,shifted", [
    ("March 5, 1980", "March 15, 1980"),
    ("1980-03-05", "1980-03-15"),
    ("03/05/1980", "03/15/1980"),
    ("5th of March 1980", "15th of March 1980"),
    ("December 28, 2023", "January 7, 2024"),
])
def test_dates_are_shifted_by_the_subject_shift_in_their_written_format(written, shifted):
    assert Surrogates("ab12", shift_days=10)("DATE_TIME", written) == shifted


def test_dates_generalized_to_year_or_tagged_and_unparseable_dates_never_pass_through():
    assert Surrogates("a", date_mode="year")("DATE_TIME", "March 5, 1980") == "1980"
    assert Surrogates("a", date_mode="tag")("DATE_TIME", "March 5, 1980") == "[DATE]"
    assert Surrogates("a", shift_days=3)("DATE_TIME", "the spring of '80") == "[DATE]"
    assert parse_date("yesterday") is None


def test_fake_surrogates_are_realistic_stable_per_subject_and_depend_on_the_salt():
    a = Surrogates("ab12", style="fake", salt="k1")
    name = a("PERSON", "Mary Jones")
    assert name == a("PERSON", "MARY JONES") and name != "Mary Jones" and " " in name
    assert Surrogates("ab12", style="fake", salt="k1")("PERSON", "Mary Jones") == name
    assert Surrogates("ab12", style="fake", salt="k2")("PERSON", "Mary Jones") != name
    assert "@" in a("EMAIL_ADDRESS", "mary@example.com")


def test_bad_modes_are_rejected_with_the_config_key():
    with pytest.raises(ValueError, match="text.surrogates"):
        Surrogates("a", style="hash")
    with pytest.raises(ValueError, match="text.dates"):
        Surrogates("a", date_mode="month")


def test_a_given_name_alone_gets_its_persons_surrogate_unless_two_people_share_it():
    s = Surrogates("ab12")
    tags = [s("PERSON", v) for v in ["Chad", "Chad Boone", "Phillip Boone", "phillip", "Boone"]]
    assert tags[0] == tags[1] and tags[2] == tags[3] and len({tags[0], tags[2], tags[4]}) == 3
    s("PERSON", "Ann Lee"), s("PERSON", "Ann Roe")
    assert s("PERSON", "Ann") not in {s("PERSON", "Ann Lee"), s("PERSON", "Ann Roe")}
    fake = Surrogates("ab12", style="fake", salt="k")
    full = fake("PERSON", "Chad Boone")
    assert fake("PERSON", "Chad") == full.split()[0] and len(full.split()) >= 2
