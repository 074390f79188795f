"""Small inline SVG charts for the risk report: plain strings, no fonts or scripts fetched, identical bytes per input.

Coordinates are rounded to one decimal so the markup stays short and a rerun draws the same bytes.
"""

from __future__ import annotations

from html import escape
from typing import Sequence

PALETTE = ("#4c72b0", "#dd8452", "#8c8c8c", "#55a868")
# One colour per meaning across every chart: the twin and the release blue, the original and the input grey.
SERIES = {"synthetic twin": "#4c72b0", "after (released)": "#4c72b0", "independent baseline": "#dd8452",
          "original": "#595959", "before (input)": "#a0a0a0", "withheld inputs": "#dd8452", "released files": "#4c72b0"}


def colour(name: str, index: int) -> str:
    return SERIES.get(name, PALETTE[index % len(PALETTE)])
FONT = "font-family='system-ui,sans-serif' font-size='12'"


def _r(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _label(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value * 100:.{2 if 0 < abs(value) < 0.01 else 1}f}\u00a0%"
    if float(value).is_integer() or abs(value) >= 100:
        return f"{round(value):,}"
    return f"{value:.3g}"


def nice(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above value (a round end for an axis)."""
    import math

    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * power + 1e-12:
            return step * power
    return 10 * power


def _legend(series: Sequence[str], x: float, y: float) -> list[str]:
    out = []
    for i, name in enumerate(series):
        out.append(f"<rect x='{_r(x)}' y='{_r(y + 16 * i - 9)}' width='10' height='10' fill='{colour(name, i)}'/>"
                   f"<text x='{_r(x + 14)}' y='{_r(y + 16 * i)}' {FONT}>{escape(name)}</text>")
    return out


def bar_chart(labels: Sequence[str], series: dict[str, Sequence[float]], *, title: str, unit: str = "",
              limit: float | None = None, limit_label: str = "limit", width: int = 560) -> str:
    """Horizontal bars, one group per label and one bar per series; values printed at the bar ends.

    `unit` "%" prints fractions as percentages; `limit` draws a dashed vertical line (a gate threshold)."""
    names = list(series)
    values = [float(v) for s in series.values() for v in s if v is not None]
    top = max(values + ([limit] if limit is not None else []) + [1e-12])
    top = min(1.0, nice(top * 1.05)) if unit == "%" and top <= 1 else nice(top * 1.05)
    left, right, bar = 170.0, 64.0, 14.0
    group = bar * len(names) + 8
    legend_h = 18 * len(names) if len(names) > 1 else 0
    height = 30 + legend_h + group * len(labels) + 34
    plot_w = width - left - right
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' role='img' width='{width}' height='{_r(height)}' "
           f"viewBox='0 0 {width} {_r(height)}'><title>{escape(title)}</title>",
           f"<text x='0' y='16' {FONT} font-weight='600'>{escape(title)}</text>"]
    if len(names) > 1:
        out += _legend(names, left, 36)
    y0 = 30 + legend_h
    for g, label in enumerate(labels):
        gy = y0 + g * group
        short = label if len(label) <= 27 else label[:26] + "…"
        out.append(f"<text x='{_r(left - 6)}' y='{_r(gy + group / 2)}' text-anchor='end' {FONT}>"
                   f"<title>{escape(label)}</title>{escape(short)}</text>")
        for i, name in enumerate(names):
            v = series[name][g]
            if v is None:
                continue
            w = plot_w * float(v) / top
            y = gy + i * bar
            out.append(f"<rect x='{_r(left)}' y='{_r(y)}' width='{_r(max(w, 0.5))}' height='{_r(bar - 2)}' "
                       f"fill='{colour(name, i)}'><title>{escape(name)}: {_label(float(v), unit)}</title></rect>"
                       f"<text x='{_r(left + w + 4)}' y='{_r(y + bar - 4)}' {FONT} font-size='11'>"
                       f"{_label(float(v), unit)}</text>")
    axis_y = y0 + group * len(labels) + 2
    out.append(f"<line x1='{_r(left)}' y1='{_r(y0 - 4)}' x2='{_r(left)}' y2='{_r(axis_y)}' stroke='#444'/>")
    out.append(f"<text x='{_r(left)}' y='{_r(axis_y + 16)}' {FONT} font-size='11'>0</text>"
               f"<text x='{_r(left + plot_w)}' y='{_r(axis_y + 16)}' text-anchor='end' {FONT} font-size='11'>"
               f"{_label(top, unit)}</text>")
    if limit is not None:
        lx = left + plot_w * limit / top
        out.append(f"<line x1='{_r(lx)}' y1='{_r(y0 - 4)}' x2='{_r(lx)}' y2='{_r(axis_y)}' stroke='#b00020' "
                   f"stroke-dasharray='4 3'/><text x='{_r(lx)}' y='{_r(axis_y + 30)}' text-anchor='middle' "
                   f"{FONT} font-size='11' fill='#b00020'>{escape(limit_label)} {_label(limit, unit)}</text>")
    out.append("</svg>")
    return "".join(out)


def interval_chart(rows: Sequence[tuple[str, float, float, float]], *, title: str,
                   limits: Sequence[float | None] | None = None, width: int = 560) -> str:
    """Point estimates with confidence intervals on a 0-1 scale (e.g. anonymeter risks), with per-row limits."""
    left, right, step = 190.0, 40.0, 30.0
    height = 30 + step * len(rows) + 30
    plot_w = width - left - right

    def x(v: float) -> float:
        return left + plot_w * min(max(v, 0.0), 1.0)

    out = [f"<svg xmlns='http://www.w3.org/2000/svg' role='img' width='{width}' height='{_r(height)}' "
           f"viewBox='0 0 {width} {_r(height)}'><title>{escape(title)}</title>",
           f"<text x='0' y='16' {FONT} font-weight='600'>{escape(title)}</text>"]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        out.append(f"<line x1='{_r(x(tick))}' y1='28' x2='{_r(x(tick))}' y2='{_r(height - 24)}' stroke='#ddd'/>"
                   f"<text x='{_r(x(tick))}' y='{_r(height - 8)}' text-anchor='middle' {FONT} font-size='11'>"
                   f"{tick * 100:.0f} %</text>")
    for i, (label, value, lo, hi) in enumerate(rows):
        y = 30 + step * i + step / 2
        out.append(f"<text x='{_r(left - 6)}' y='{_r(y + 4)}' text-anchor='end' {FONT}>{escape(label)}</text>"
                   f"<line x1='{_r(x(lo))}' y1='{_r(y)}' x2='{_r(x(hi))}' y2='{_r(y)}' stroke='{PALETTE[0]}' "
                   f"stroke-width='2'/><circle cx='{_r(x(value))}' cy='{_r(y)}' r='4' fill='{PALETTE[0]}'>"
                   f"<title>{escape(label)}: {value * 100:.1f} % (CI {lo * 100:.1f}-{hi * 100:.1f} %)</title>"
                   f"</circle>")
        limit = limits[i] if limits else None
        if limit is not None:
            out.append(f"<line x1='{_r(x(limit))}' y1='{_r(y - 10)}' x2='{_r(x(limit))}' y2='{_r(y + 10)}' "
                       f"stroke='#b00020' stroke-width='2' stroke-dasharray='3 2'><title>limit "
                       f"{limit * 100:.0f} %</title></line>")
    out.append("</svg>")
    return "".join(out)
