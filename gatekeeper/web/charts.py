"""Charts drawn on the server as SVG: no JavaScript, readable in print and by a screen reader.

Each chart carries a ``<title>`` and a ``<desc>`` (named by ``aria-labelledby``) that say what
it shows and its figures in words; the page also puts the same figures in a table beside it.
Colours are fixed fills (not CSS variables) so the PDF renderer draws them the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

INK = "#1b1f24"
MUTED = "#4a5563"
LINE = "#c9d1da"
FILLS = {"ok": "#2f7d46", "warn": "#b7791f", "bad": "#a3141b", "brand": "#14467a",
         "quiet": "#8a96a3"}
FONT = "font-family=\"DejaVu Sans, Liberation Sans, Arial, sans-serif\""


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    tone: str = "brand"  # a key of FILLS
    text: str | None = None  # how the value is written beside the bar (default: the number)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _frame(chart_id: str, title: str, desc: str, width: int, height: int, body: str) -> Markup:
    t, d = f"{chart_id}-title", f"{chart_id}-desc"
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'role="img" aria-labelledby="{escape(t)} {escape(d)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" {FONT} font-size="13">'
        f'<title id="{escape(t)}">{escape(title)}</title>'
        f'<desc id="{escape(d)}">{escape(desc)}</desc>{body}</svg>')


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], width: int = 420,
              label_width: int = 165) -> Markup:
    """Horizontal bars, one a row, the value written at the end of each."""
    row, top = 26, 8
    height = top * 2 + row * max(1, len(bars))
    biggest = max((b.value for b in bars), default=0) or 1
    room = width - label_width - 60
    parts = []
    for i, bar in enumerate(bars):
        y = top + i * row
        length = max(0.0, bar.value) / biggest * room
        fill = FILLS.get(bar.tone, FILLS["brand"])
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" fill="{INK}">'
            f'{escape(bar.label)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="16" '
            f'fill="{fill}" rx="2"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 16}" fill="{INK}">'
            f'{escape(bar.text or _num(bar.value))}</text>')
    parts.append(f'<line x1="{label_width}" y1="{top}" x2="{label_width}" '
                 f'y2="{height - top}" stroke="{LINE}"/>')
    desc = "; ".join(f"{b.label}: {b.text or _num(b.value)}" for b in bars) or "No figures."
    return _frame(chart_id, title, desc, width, height, "".join(parts))


def budget_chart(chart_id: str, title: str, used: float, budget: float, unit: str,
                 width: int = 420) -> Markup:
    """One bar of what was used against a marked budget line; past the line it turns red."""
    left, right, y = 10, width - 10, 30
    scale_to = max(used, budget) or 1
    room = right - left
    used_w = used / scale_to * room
    mark = left + budget / scale_to * room
    tone = FILLS["bad"] if used > budget else FILLS["ok"]
    body = (
        f'<rect x="{left}" y="{y}" width="{room}" height="22" fill="#eef1f5" rx="3"/>'
        f'<rect x="{left}" y="{y}" width="{used_w:.1f}" height="22" fill="{tone}" rx="3"/>'
        f'<line x1="{mark:.1f}" y1="{y - 8}" x2="{mark:.1f}" y2="{y + 30}" stroke="{INK}" '
        f'stroke-width="2"/>'
        f'<text x="{left}" y="{y - 12}" fill="{INK}">Used: {_num(used)} {escape(unit)}</text>'
        f'<text x="{right}" y="{y + 44}" text-anchor="end" fill="{MUTED}">Budget: '
        f'{_num(budget)} {escape(unit)}</text>')
    over = " That is over the budget." if used > budget else ""
    desc = f"Used {_num(used)} of a budget of {_num(budget)} {unit}.{over}"
    return _frame(chart_id, title, desc, width, 84, body)


def column_chart(chart_id: str, title: str, columns: Sequence[Bar], unit: str = "",
                 width: int = 420, ceiling: float | None = None) -> Markup:
    """Vertical columns (a trend over months); a column without a figure says "none"."""
    top, bottom, left = 20, 40, 10
    height = 180
    room = height - top - bottom
    biggest = ceiling or max((c.value for c in columns), default=0) or 1
    step = (width - left * 2) / max(1, len(columns))
    parts = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - left}" '
             f'y2="{height - bottom}" stroke="{LINE}"/>']
    for i, col in enumerate(columns):
        x = left + i * step + step * 0.2
        w = step * 0.6
        h = max(0.0, col.value) / biggest * room
        y = height - bottom - h
        fill = FILLS.get(col.tone, FILLS["brand"])
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}"/>'
            f'<text x="{x + w / 2:.1f}" y="{y - 5:.1f}" text-anchor="middle" fill="{INK}">'
            f'{escape(col.text or _num(col.value) + unit)}</text>'
            f'<text x="{x + w / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'fill="{MUTED}">{escape(col.label)}</text>')
    desc = "; ".join(f"{c.label}: {c.text or _num(c.value) + unit}" for c in columns)
    return _frame(chart_id, title, desc or "No figures.", width, height, "".join(parts))
