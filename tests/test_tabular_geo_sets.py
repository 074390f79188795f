"""New column roles on hand-computed cases: geographic coordinates (geohash and H3 against published reference codes,
H3 parents from the index's bit layout, nested grid cells, k-anonymous cloaking) and set-valued columns made k^m-anonymous with an item hierarchy."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from test_tabular_release import config, make_study, release

from deidflow.tabular import geo, hierarchies, sets


@pytest.mark.parametrize("lat, lon, precision, expected", [
    (57.64911, 10.40744, 11, "u4pruydqqvj"),  # the example of geohash's original description (Wikipedia)
    (42.6, -5.6, 5, "ezs42"),                  # the decoding example there
    (-25.382708, -49.265506, 8, "6gkzwgjz"),
])
def test_geohash_matches_reference_codes(lat, lon, precision, expected):
    assert geo.geohash(lat, lon, precision) == expected


def points() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    town = np.r_[rng.normal(52.37, 0.01, 12), rng.normal(48.85, 0.01, 6), [40.0]]
    lon = np.r_[rng.normal(4.89, 0.01, 12), rng.normal(2.35, 0.01, 6), [-3.7]]
    return pd.DataFrame({"lat": town.round(5).astype(str), "lon": lon.round(5).astype(str)})


def test_geohash_hierarchy_nests_and_cloaking_reaches_k():
    table = points()
    codes, hierarchy = geo.encode(table, "lat", {"longitude": "lon", "precision": 6}, "participants.tsv")
    assert all(len(c) == 6 for c in codes) and (hierarchy.iloc[:, -1] == "*").all()
    for leaf, row in hierarchy.iterrows():
        assert all(leaf.startswith(label) for label in row.iloc[:-1])  # each level is a prefix: cells nest
    cloaked, used = geo.cloak(codes, hierarchy, 5)
    sizes = cloaked.map(cloaked.value_counts())
    assert (sizes[cloaked != "*"] >= 5).all()
    assert cloaked.iloc[-1] == "*", "the lone point far from the others is suppressed"
    assert cloaked.iloc[:12].str.len().min() >= 3, "the dense town keeps a fine cell"


def test_grid_cells_nest_and_bad_input_is_named():
    table = points()
    codes, hierarchy = geo.encode(table, "lat", {"longitude": "lon", "method": "grid", "sizes": [0.01, 0.1, 1]},
                                  "participants.tsv")
    assert codes.iloc[-1] == "40.00,-3.70/0.01" and hierarchy.loc[codes.iloc[-1]].tolist() == [
        "40.00,-3.70/0.01", "40.0,-3.7/0.1", "40,-4/1", "*"]
    with pytest.raises(geo.GeoError, match="size 0.25 is not a whole multiple of 0.1"):
        geo.encode(table, "lat", {"longitude": "lon", "method": "grid", "sizes": [0.1, 0.25]}, "p")
    table.loc[3, "lon"] = "200"
    with pytest.raises(geo.GeoError, match="participants.tsv: column 'lon' \\(role geo\\): row 5 is not a coordinate"):
        geo.encode(table, "lat", {"longitude": "lon"}, "participants.tsv")


# H3 cells of published points: h3-py's README example, and the H3 documentation's San Francisco example
@pytest.mark.parametrize("lat, lon, resolution, expected", [
    (37.3615593, -122.0553238, 5, "85283473fffffff"),
    (37.7752702151959, -122.418307270836, 9, "8928308280fffff"),
])
def test_h3_matches_reference_cells(lat, lon, resolution, expected):
    table = pd.DataFrame({"lat": [str(lat)], "lon": [str(lon)]})
    codes, hierarchy = geo.encode(table, "lat", {"longitude": "lon", "method": "h3", "resolution": resolution},
                                  "participants.tsv")
    assert codes.tolist() == [expected]
    assert hierarchy.shape[1] == resolution + 2 and hierarchy.iloc[0, -1] == "*"


def parent_by_hand(cell: str, resolution: int) -> str:
    """An H3 index's parent from its bit layout (H3 index format): bits 52-55 hold the resolution and each finer
    resolution r has a 3-bit digit at bits 3 * (15 - r); a coarser cell has its resolution field lowered and the digits
    below it set to 7 (unused)."""
    index = int(cell, 16)
    index = (index & ~(0xF << 52)) | (resolution << 52)
    for r in range(resolution + 1, 16):
        index |= 0b111 << (3 * (15 - r))
    return f"{index:x}"


def test_h3_hierarchy_is_the_parent_chain_by_resolution_and_cloaking_reaches_k():
    table = points()
    codes, hierarchy = geo.encode(table, "lat", {"longitude": "lon", "method": "h3", "resolution": 9, "coarsest": 3},
                                  "participants.tsv")
    assert hierarchy.shape[1] == 9 - 3 + 1 + 1  # resolutions 9..3, then *
    assert parent_by_hand("8928308280fffff", 5) == "85283083fffffff"
    for leaf, row in hierarchy.iterrows():
        assert row.iloc[0] == leaf and row.iloc[-1] == "*"
        assert row.iloc[1:-1].tolist() == [parent_by_hand(leaf, r) for r in range(8, 2, -1)]
    cloaked, used = geo.cloak(codes, hierarchy, 5)
    kept = cloaked[cloaked != "*"]
    assert (kept.map(kept.value_counts()) >= 5).all() and cloaked.iloc[-1] == "*"
    assert set(cloaked.iloc[:12]) <= set(hierarchy.iloc[:, :-1].to_numpy().ravel())
    with pytest.raises(geo.GeoError, match="participants.tsv: column 'lat': h3 coarsest resolution 10: use 0 to"):
        geo.encode(table, "lat", {"longitude": "lon", "method": "h3", "resolution": 9, "coarsest": 10},
                   "participants.tsv")


def support_ok(values: pd.Series, k: int, m: int) -> bool:
    counts: Counter = Counter()
    for v in values.dropna():
        items = sorted(i for i in v.split(";") if i)
        for size in range(1, min(m, len(items)) + 1):
            counts.update(itertools.combinations(items, size))
    return all(n >= k for n in counts.values())


def test_km_anonymity_by_hand():
    values = pd.Series(["E10;I10", "E10;I10", "E11;I10", "E11;I11", "J45"])
    hierarchy = hierarchies.categories(["E10", "E11", "I10", "I11", "J45"],
                                       [{"E1x": ["E10", "E11"], "I1x": ["I10", "I11"], "J4x": ["J45"]}])
    result = sets.km_anonymize(values, hierarchy, k=2, m=2)
    # rare: I11, (E11, I10), (E11, I11), J45. I11 takes part in most (tied with E11, broken by name): I10 and I11
    # become I1x, which leaves {E10, I1x} x2 and {E11, I1x} x2; J45 stays alone even as J4x and is removed
    assert result.values.tolist() == ["E10;I1x", "E10;I1x", "E11;I1x", "E11;I1x", ""]
    assert result.removed == 1 and result.levels == {"E10": 0, "E11": 0, "I10": 1, "I11": 1, "J45": 1}
    assert result.k_achieved == 2 and support_ok(result.values, 2, 2)


def test_km_anonymity_keeps_common_items_exact():
    rng = np.random.default_rng(3)
    common = ["A1", "A2", "B1"]
    values = pd.Series([";".join(sorted(set(rng.choice(common, 2)))) for _ in range(40)] + ["A1;B2"])
    hierarchy = hierarchies.prefix(["A1", "A2", "B1", "B2"], 1)
    result = sets.km_anonymize(values, hierarchy, k=3, m=2)
    assert support_ok(result.values, 3, 2)
    assert result.levels["A2"] == 0, "an item never in a rare combination stays exact"


def test_geo_and_set_roles_in_a_release(tmp_path):
    study, records = make_study(tmp_path, n=40, seed=2)
    table = pd.read_csv(study / "participants.tsv", sep="\t", dtype=str)
    rng = np.random.default_rng(2)
    table["home_lat"] = rng.normal(52.37, 0.02, 40).round(5).astype(str)
    table["home_lon"] = rng.normal(4.89, 0.02, 40).round(5).astype(str)
    table["diagnoses"] = [";".join(sorted(set(rng.choice(["E10", "E11", "I10", "J45"], 2)))) for _ in range(40)]
    table.to_csv(study / "participants.tsv", sep="\t", index=False)
    cfg = config(k=3)
    cfg["participants"].update({
        "home_lat": {"role": "geo", "longitude": "home_lon", "precision": 6, "cloak": True}, "home_lon": "geo",
        "diagnoses": {"role": "set", "m": 2, "hierarchy": {"type": "prefix", "steps": 2}}})
    summary, tables, files = release(tmp_path, study, records, cfg)
    out = tables["participants.tsv"]
    assert "home_lon" not in out.columns and not set(out["home_lat"]) & set(table["home_lat"])
    kept = out["home_lat"][out["home_lat"] != "*"]
    assert (kept.map(kept.value_counts()) >= 3).all()
    assert support_ok(out["diagnoses"], 3, 2)
    main = summary["tables"]["participants.tsv"]
    assert main["geo"]["home_lat"]["cloaked_to_k"] == 3 and main["set_valued"]["diagnoses"]["k_achieved"] >= 3


@pytest.mark.parametrize("options", [{"method": "grid", "sizes": [0.001, 0.01, 0.1, 1]},
                                     {"method": "h3", "resolution": 9, "coarsest": 4}])
def test_geo_as_a_quasi_identifier_goes_through_the_search(tmp_path, options):
    study, records = make_study(tmp_path, n=40, seed=4)
    table = pd.read_csv(study / "participants.tsv", sep="\t", dtype=str)
    rng = np.random.default_rng(4)
    table["lat"] = rng.normal(52.37, 0.05, 40).round(5).astype(str)
    table["lon"] = rng.normal(4.89, 0.05, 40).round(5).astype(str)
    table.to_csv(study / "participants.tsv", sep="\t", index=False)
    cfg = config(k=4)
    cfg["participants"].update({"lat": {"role": "geo", "longitude": "lon", **options}, "lon": "geo"})
    summary, tables, _ = release(tmp_path, study, records, cfg)
    out = tables["participants.tsv"]
    qis = summary["quasi_identifiers"]
    assert "lat" in qis and "lon" not in out.columns
    kept = out[~(out[qis] == "*").all(axis=1)]
    assert kept.groupby(qis).size().min() >= 4
    assert summary["tables"]["participants.tsv"]["geo"]["lat"]["method"] == options["method"]
    cfg["participants"]["lat"] = "geo"
    with pytest.raises(Exception, match="column 'lat' has role geo but no latitude column names it"):
        release(tmp_path, study, records, cfg, "bad")
