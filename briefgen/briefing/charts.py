"""Small trend charts for figures reported at several dates, drawn at build time.

A reader should see at a glance whether a number is rising or falling, with
no JavaScript and nothing loaded from elsewhere: so the chart is inline SVG,
written here as text from a ``FigureGroup``'s series. It is a picture of the
numbers, never their only home: the SVG carries a text title, and the theme
puts a table of every value beside it (``_macros.html``'s ``trend``), which is
what screen readers, print and copy-paste use.

Reporters are told apart by marker shape and line pattern and by a text label
at the end of each line, never by colour alone. Colours come from the theme's
palette variables through CSS classes, with ``currentColor`` as the fallback
for renderers without the stylesheet (WeasyPrint, feed readers).

Output is deterministic: coordinates are rounded to one decimal and nothing
depends on the clock, so two builds give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import math

from markupsafe import Markup, escape
from slugify import slugify

from briefgen.briefing.briefing import FigureGroup, when_key

WIDTH, HEIGHT = 320, 150
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 44, 14, 28
MARKERS = ("circle", "square", "triangle", "diamond")
GLYPHS = ("\u25cf", "\u25a0", "\u25b2", "\u25c6")  # the same shapes as text, for the legend
DASHES = ("", "5 3", "2 3", "8 3 2 3")


def chart_id(group: FigureGroup) -> str:
    return "chart-" + (slugify(group.measure) or "figure")


def _nice_ceiling(value: float) -> float:
    """The next 'round' number at or above ``value`` (1, 2, 2.5, 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _fmt(value: float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{int(value):,}"


def _date_label(value: dt.date | dt.datetime) -> str:
    return f"{value.day} {value:%b %Y}"


def _marker(kind: str, x: float, y: float, cls: str) -> str:
    if kind == "circle":
        return f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="3.5"/>'
    if kind == "square":
        return f'<rect class="{cls}" x="{x - 3.2:.1f}" y="{y - 3.2:.1f}" width="6.4" height="6.4"/>'
    if kind == "triangle":
        return f'<path class="{cls}" d="M{x:.1f} {y - 4.2:.1f}L{x + 4:.1f} {y + 3:.1f}L{x - 4:.1f} {y + 3:.1f}Z"/>'
    return f'<path class="{cls}" d="M{x:.1f} {y - 4.5:.1f}L{x + 4.5:.1f} {y:.1f}L{x:.1f} {y + 4.5:.1f}L{x - 4.5:.1f} {y:.1f}Z"/>'


def legend(group: FigureGroup) -> list[tuple[str, str, object]]:
    """(series class, marker glyph, reporter) for each line of the chart, in drawing order."""
    series = [party for party, points in group.series if points][: len(MARKERS)]
    return [(f"chart__s--{n + 1}", GLYPHS[n], party) for n, party in enumerate(series)]


def _spread(ys: list[float], gap: float) -> list[float]:
    """Move label positions apart so that no two are closer than ``gap`` (keeps their order)."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    out = list(ys)
    for prev, cur in zip(order, order[1:], strict=False):
        if out[cur] - out[prev] < gap:
            out[cur] = out[prev] + gap
    return out


def summary(group: FigureGroup) -> str:
    """One sentence a screen reader hears for the chart: what, who, how many points, first and last."""
    parts = []
    for party, points in group.series:
        first, last = points[0], points[-1]
        parts.append(
            f"per {party.name}, {_fmt(first.value)} on {_date_label(first.as_of)}"
            + (f" to {_fmt(last.value)} on {_date_label(last.as_of)}" if len(points) > 1 else "")
        )
    return f"Trend chart of {group.label}: " + "; ".join(parts) + ". Every value is in the table below the chart."


class _Scale:
    """Where a figure's date and a value fall in the plot area: time runs across, values up from ``lo``."""

    def __init__(self, series: list):
        stamps = [when_key(f.as_of).timestamp() for _p, pts in series for f in pts]
        values = [f.value for _p, pts in series for f in pts]
        self.t0, self.t1 = min(stamps), max(stamps)
        self.lo = 0.0 if min(values) >= 0 else min(values)
        self.hi = _nice_ceiling(max(values)) if max(values) > 0 else 0.0
        if self.hi == self.lo:
            self.hi = self.lo + 1
        self.plot_w, self.plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM

    def x_of(self, f) -> float:
        t = when_key(f.as_of).timestamp()
        t0, t1, plot_w = self.t0, self.t1, self.plot_w
        return PAD_LEFT + (plot_w * (t - t0) / (t1 - t0) if t1 > t0 else plot_w / 2)

    def y_of(self, v: float) -> float:
        lo, hi = self.lo, self.hi
        return PAD_TOP + self.plot_h * (1 - (v - lo) / (hi - lo))


def trend_svg(group: FigureGroup) -> Markup:
    """The inline SVG line chart of a group's series (empty when there is no trend).

    Drawn once per group: the topic page and its pack show the same chart (``FigureGroup.drawn``).
    """
    svg = group.drawn.get("trend_svg")
    if svg is None:
        svg = group.drawn["trend_svg"] = _draw(group)
    return svg


def _draw(group: FigureGroup) -> Markup:
    series = [(party, points) for party, points in group.series if points][: len(MARKERS)]
    if not group.trend or not series:
        return Markup("")
    cid = chart_id(group)
    scale = _Scale(series)
    out = [
        f'<svg class="chart__svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-labelledby="{cid}-title" focusable="false" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{cid}-title">{escape(summary(group))}</title>',
        *_axes(scale, series),
        *_lines(scale, series),
        "</svg>",
    ]
    return Markup("".join(out))


def _axes(scale: _Scale, series: list) -> list[str]:
    """Three value gridlines with their ticks, and the first and last day under the plot."""
    lo, hi, plot_w = scale.lo, scale.hi, scale.plot_w
    out = ['<g class="chart__axes" fill="currentColor" stroke="currentColor" font-size="11" font-family="sans-serif">']
    for v in (lo, (lo + hi) / 2, hi):
        y = scale.y_of(v)
        out.append(
            f'<line class="chart__grid" x1="{PAD_LEFT}" x2="{PAD_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke-width="0.5" stroke-opacity="0.45"/>'
        )
        out.append(
            f'<text class="chart__tick" x="{PAD_LEFT - 6}" y="{y + 3.5:.1f}" text-anchor="end" stroke="none">'
            f"{escape(_fmt(v))}</text>"
        )
    every = sorted((f for _p, pts in series for f in pts), key=lambda f: when_key(f.as_of))
    first_day, last_day = _date_label(every[0].as_of), _date_label(every[-1].as_of)
    base = HEIGHT - PAD_BOTTOM + 16
    out.append(f'<text class="chart__tick" x="{PAD_LEFT}" y="{base}" stroke="none">{first_day}</text>')
    if last_day != first_day:
        out.append(
            f'<text class="chart__tick" x="{PAD_LEFT + plot_w}" y="{base}" text-anchor="end" stroke="none">'
            f"{last_day}</text>"
        )
    out.append("</g>")
    return out


def _lines(scale: _Scale, series: list) -> list[str]:
    """One group per reporter: its line, a marker per point, and its latest value as a label."""
    out = []
    label_y = _spread([scale.y_of(points[-1].value) + 4 for _party, points in series], gap=12)
    for n, (_party, points) in enumerate(series):
        cls = f"chart__s chart__s--{n + 1}"
        coords = [(scale.x_of(f), scale.y_of(f.value)) for f in points]
        dash = f' stroke-dasharray="{DASHES[n]}"' if DASHES[n] else ""
        out.append(f'<g class="{cls}" fill="currentColor" stroke="currentColor">')
        if len(coords) > 1:
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            out.append(f'<polyline class="chart__line" points="{pts}" fill="none" stroke-width="2"{dash}/>')
        for x, y in coords:
            out.append(_marker(MARKERS[n], x, y, "chart__pt"))
        lx = coords[-1][0]
        label = _fmt(points[-1].value)
        out.append(
            f'<text class="chart__label" x="{lx + 8:.1f}" y="{label_y[n]:.1f}" '
            f'font-size="11" font-family="sans-serif" stroke="none">{escape(label)}</text>'
        )
        out.append("</g>")
    return out
