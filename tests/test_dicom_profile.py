"""Table E.1-1 as data: every row loads, combined codes resolve by the attribute's Type in the IOD, options apply."""

from __future__ import annotations

import pytest

from deidflow.dicom.profile import ProfileError, load_profile, resolve

CT = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_MR = "1.2.840.10008.5.1.4.1.1.4.1"


def tag(keyword: str) -> int:
    from pydicom.datadict import tag_for_keyword

    return tag_for_keyword(keyword)


def test_the_whole_table_loads_with_its_repeating_and_private_rows():
    profile = load_profile()
    assert len(profile.rules) + len(profile.special) == 656
    assert set(profile.special) == {"CurveData", "OverlayData", "OverlayComments", "PrivateAttributes"}
    assert {r.basic for r in profile.rules.values()} == {"D", "Z", "X", "U", "X/Z", "X/D", "Z/D", "X/Z/D", "X/Z/U*"}


@pytest.mark.parametrize(
    "code, iod_type, action",
    [("X/Z", 3, "X"), ("X/Z", 2, "Z"), ("X/D", 1, "D"), ("X/D", 2, "D"), ("Z/D", 2, "Z"), ("Z/D", 1, "D"),
     ("X/Z/D", 3, "X"), ("X/Z/D", 2, "Z"), ("X/Z/D", 1, "D"), ("X/Z/D", None, "D"), ("X/Z", None, "Z"),
     ("X/Z/U*", 3, "U"), ("K", None, "K")],
)
def test_combined_codes_take_the_weakest_action_the_type_allows(code, iod_type, action):
    assert resolve(code, iod_type) == action


def test_resolution_depends_on_the_iod():
    profile = load_profile()
    assert profile.action(tag("ContentDate"), CT) == "Z"  # Type 2C in General Image
    assert profile.action(tag("ContentDate"), ENHANCED_MR) == "D"  # Type 1 in the enhanced image modules
    assert profile.action(tag("InstitutionName"), CT) == "X"
    assert profile.action(tag("InstitutionName"), ENHANCED_MR) == "D"  # Enhanced General Equipment
    assert profile.action(tag("PatientID"), CT) == "Z"
    assert profile.action(tag("Modality"), CT) is None  # not in the table: kept


def test_options_replace_the_basic_action_and_name_their_codes():
    basic = load_profile()
    opts = load_profile({"retain_longitudinal_modified_dates": True, "retain_device_identity": True,
                         "retain_institution_identity": True, "retain_uids": True})
    assert basic.action(tag("StudyDate"), CT) == "Z" and opts.action(tag("StudyDate"), CT) == "C"
    assert opts.action(tag("DeviceSerialNumber"), CT) == "K" and opts.action(tag("InstitutionName"), CT) == "K"
    assert opts.action(tag("SOPInstanceUID"), CT) == "K" and basic.action(tag("SOPInstanceUID"), CT) == "U"
    assert opts.action(tag("PatientBirthDate"), CT) == "Z"  # no option keeps the birth date
    assert [code for code, _ in opts.codes()] == ["113100", "113107", "113109", "113110", "113112"]
    # attributes new in 2026c take their options from the supplement file
    [effective] = [t for t, r in opts.rules.items() if r.keyword == "EffectiveStartDatetime"]
    assert basic.action(effective, CT) == "X" and opts.action(effective, CT) == "C"


def test_unknown_options_are_refused_by_name():
    with pytest.raises(ProfileError, match="retain_everything"):
        load_profile({"retain_everything": True})
