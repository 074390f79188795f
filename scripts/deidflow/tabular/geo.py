"""Geographic coordinates as a quasi-identifier: a latitude/longitude pair becomes one location code whose
generalization hierarchy is a geohash (each level drops one character: a cell about 32 times larger), a grid of
nested cells (sizes in degrees, each a whole multiple of the one below) or an H3 cell (Uber's hexagonal grid; each
level is the parent cell one resolution coarser, about 7 times larger; the index hierarchy is exact, though a parent
hexagon only approximately covers its seven children). The code then goes through the privacy search
like any quasi-identifier, or, with `cloak: true`, is cloaked on its own: each record gets the finest cell that holds
at least k records (k-anonymous spatial cloaking), and records in no such cell are suppressed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import hierarchies as hz

BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"


class GeoError(ValueError):
    """A coordinate is missing, not a number or out of range, or the geo settings are invalid."""


def geohash(lat: float, lon: float, precision: int) -> str:
    """The standard geohash of a point (interleaved longitude/latitude bisections, base-32)."""
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    out, bits, value, even = [], 0, 0, True
    while len(out) < precision:
        if even:
            mid = (lon_lo + lon_hi) / 2
            value = value * 2 + (lon >= mid)
            lon_lo, lon_hi = (mid, lon_hi) if lon >= mid else (lon_lo, mid)
        else:
            mid = (lat_lo + lat_hi) / 2
            value = value * 2 + (lat >= mid)
            lat_lo, lat_hi = (mid, lat_hi) if lat >= mid else (lat_lo, mid)
        even = not even
        bits += 1
        if bits == 5:
            out.append(BASE32[value])
            bits, value = 0, 0
    return "".join(out)


def coordinates(table: pd.DataFrame, lat: str, lon: str, table_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Both columns as floats, checked (the error names the column and row, never the value)."""
    out = []
    for name, bound in ((lat, 90.0), (lon, 180.0)):
        values = pd.to_numeric(table[name], errors="coerce")
        bad = values.isna() | (values.abs() > bound)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise GeoError(f"{table_name}: column {name!r} (role geo): row {row} is not a coordinate within "
                           f"+-{bound:g} degrees")
        out.append(values.to_numpy(dtype=float))
    return out[0], out[1]


def _sizes(sizes: Sequence[float]) -> list[Decimal]:
    steps = [Decimal(str(s)) for s in sizes]
    if not steps or any(s <= 0 for s in steps):
        raise GeoError("geo grid: sizes must be positive degrees, finest first")
    for small, big in zip(steps, steps[1:]):
        if big <= small or big % small != 0:
            raise GeoError(f"geo grid: size {big} is not a whole multiple of {small}; cells must nest")
    return steps


def _cell(lat: float, lon: float, size: Decimal) -> str:
    s = float(size)
    places = max(-size.as_tuple().exponent, 0)
    return f"{np.floor(lat / s) * s:.{places}f},{np.floor(lon / s) * s:.{places}f}/{size}"


def encode(table: pd.DataFrame, lat: str, options: Mapping[str, Any], table_name: str
           ) -> tuple[pd.Series, pd.DataFrame]:
    """Each row's location code and the hierarchy over the codes (leaves first, `*` last)."""
    lon = options.get("longitude")
    if lon not in table.columns:
        raise GeoError(f"{table_name}: column {lat!r} (role geo): set longitude to the column holding the longitudes")
    la, lo = coordinates(table, lat, lon, table_name)
    method = options.get("method", "geohash")
    if method == "geohash":
        precision = int(options.get("precision", 6))
        if not 1 <= precision <= 12:
            raise GeoError(f"{table_name}: column {lat!r}: geohash precision {precision}: use 1 to 12")
        codes = [geohash(a, b, precision) for a, b in zip(la, lo)]
        leaves = sorted(set(codes))
        cols = {i: [c[: precision - i] if i < precision else hz.STAR for c in leaves] for i in range(precision + 1)}
        hierarchy = pd.DataFrame(cols, index=leaves)
    elif method == "grid":
        sizes = _sizes(options.get("sizes", [0.01, 0.1, 1, 10]))
        labels = [[_cell(a, b, s) for a, b in zip(la, lo)] for s in sizes]
        codes = labels[0]
        frame = pd.DataFrame({i: level for i, level in enumerate(labels)}).drop_duplicates(subset=[0])
        hierarchy = frame.set_index(frame[0], drop=False).sort_index()
    elif method == "h3":
        codes, hierarchy = h3_hierarchy(la, lo, options, f"{table_name}: column {lat!r}")
    else:
        raise GeoError(f"{table_name}: column {lat!r}: method {method!r}: use geohash, grid or h3")
    hierarchy = hz._finish(hierarchy)
    return pd.Series(codes, index=table.index, name=lat, dtype=object), hierarchy


def h3_hierarchy(la: np.ndarray, lo: np.ndarray, options: Mapping[str, Any], where: str
                 ) -> tuple[list[str], pd.DataFrame]:
    """H3 cells at `resolution` (default 8, cells of about 0.7 km2) and their parents down to `coarsest` (default 0),
    one level per resolution, `*` on top."""
    import h3  # only this method needs it (tabular environment)

    resolution = int(options.get("resolution", 8))
    coarsest = int(options.get("coarsest", 0))
    if not 0 <= resolution <= 15:
        raise GeoError(f"{where}: h3 resolution {resolution}: use 0 to 15")
    if not 0 <= coarsest <= resolution:
        raise GeoError(f"{where}: h3 coarsest resolution {coarsest}: use 0 to the resolution ({resolution})")
    codes = [h3.latlng_to_cell(float(a), float(b), resolution) for a, b in zip(la, lo)]
    leaves = sorted(set(codes))
    cols = {i: [h3.cell_to_parent(c, resolution - i) for c in leaves] for i in range(resolution - coarsest + 1)}
    return codes, pd.DataFrame(cols, index=leaves)


def cloak(codes: pd.Series, hierarchy: pd.DataFrame, k: int) -> tuple[pd.Series, dict[str, int]]:
    """k-anonymous spatial cloaking, top-down: a cell is split into its sub-cells holding at least k records as long
    as the records left in the cell (those of smaller sub-cells, topped up with the smallest large sub-cells) are none
    or at least k, so every released cell is shared by k records; what no cell below the top can hold is `*`.
    Returns how many records each level released."""
    labels = [codes.map(hierarchy[level]).to_numpy(dtype=object) for level in range(hierarchy.shape[1])]
    out = np.full(len(codes), hz.STAR, dtype=object)

    def split(rows: np.ndarray, level: int) -> None:
        if level == 0:
            out[rows] = labels[0][rows]
            return
        children = pd.Series(rows).groupby(labels[level - 1][rows]).agg(list)
        big = sorted((r for r in children if len(r) >= k), key=len)
        rest = [i for r in children if len(r) < k for i in r]
        while rest and len(rest) < k and big and level < top:  # at the top, the rest is suppressed (`*`)
            rest += big.pop(0)
        out[rest] = labels[level][rest]
        for r in big:
            split(np.asarray(r), level - 1)

    top = hierarchy.shape[1] - 1
    if len(codes) >= k:
        split(np.arange(len(codes)), top)
    released = pd.Series(out, index=codes.index, dtype=object)
    used: dict[str, int] = {}
    for level in range(top + 1):
        n = int(sum(1 for i, v in enumerate(out) if v == labels[level][i] and v != hz.STAR))
        if n:
            used[str(level)] = n
    return released, used
