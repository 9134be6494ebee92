"""A small table that prints as text in a terminal and as HTML in a notebook.

Used by ``parameter_table`` and ``cost_table``; kept pandas-free so the
package installs anywhere (Colab, a bare venv).
"""
from __future__ import annotations

import html
import textwrap

from wcwidth import wcswidth


def format_count(value) -> str:
    """Integers with thousands separators; everything else as ``str``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def short_count(value: float) -> str:
    """184,234 -> "184k", 4,065,600 -> "4.07M": a count as a slider or an axis shows it."""
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:g}"


TEXT_WIDTH = 120  # characters: what a projected notebook shows on one line


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: 2 for each CJK character, 1 for ASCII."""
    width = wcswidth(text)
    return width if width >= 0 else len(text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


class Table:
    """Rows of dicts with a fixed column order and an optional totals row.

    ``rows`` is plain data (list of dicts); ``str(table)`` is an aligned text
    table (aligned by display width, so CJK text lines up too); in Jupyter the
    table renders as HTML. ``columns`` are the rows' keys; ``labels`` maps a key
    to the heading shown, where the two differ (a translated heading, say).
    """

    title = ""

    def __init__(self, columns: list[str], rows: list[dict], totals: dict | None = None,
                 numeric: tuple[str, ...] = (), labels: dict[str, str] | None = None):
        self.columns = list(columns)
        self.rows = rows
        self.totals = totals or {}
        self._numeric = set(numeric)
        self._labels = dict(labels or {})

    @property
    def labels(self) -> dict[str, str]:
        """{column key: heading shown}, for the columns as they are now (a column added later
        shows its key)."""
        return {c: self._labels.get(c, c) for c in self.columns}

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def _cells(self):
        body = [[format_count(row.get(c, "")) for c in self.columns] for row in self.rows]
        foot = [format_count(self.totals.get(c, "")) for c in self.columns] if self.totals else None
        return body, foot

    def __str__(self) -> str:
        body, foot = self._cells()
        labels = self.labels
        heads = [labels[c] for c in self.columns]
        widths = [display_width(h) for h in heads]
        for line in body + ([foot] if foot else []):
            widths = [max(w, display_width(cell)) for w, cell in zip(widths, line)]

        def fmt(cells):
            out = [_pad(cell, width, col in self._numeric)
                   for col, cell, width in zip(self.columns, cells, widths)]
            return "  ".join(out).rstrip()

        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        lines = ([self.title] if self.title else []) + [fmt(heads), rule]
        lines += [fmt(line) for line in body]
        if foot:
            lines += [rule, fmt(foot)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        """The text table, or, when it is too wide for a screen, what it is and how to see it all
        (Jupyter shows the HTML table either way; ``print(table)`` gives the whole text)."""
        text = str(self)
        if max(display_width(line) for line in text.splitlines()) <= TEXT_WIDTH:
            return text
        return (f"{textwrap.fill(self.title or 'Table', TEXT_WIDTH)}\n({len(self.rows)} rows x "
                f"{len(self.columns)} columns: wider than {TEXT_WIDTH} characters as text; print() it to see it all)")

    def _repr_html_(self) -> str:
        body, foot = self._cells()

        def row_html(cells, tag="td", style=""):
            parts = []
            for col, cell in zip(self.columns, cells):
                align = "right" if col in self._numeric else "left"
                parts.append(f'<{tag} style="text-align:{align};{style}">{html.escape(cell)}</{tag}>')
            return "<tr>" + "".join(parts) + "</tr>"

        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        labels = self.labels
        head = row_html([labels[c] for c in self.columns], "th")
        rows = "".join(row_html(r) for r in body)
        tail = row_html(foot, "td", "font-weight:bold;border-top:2px solid;") if foot else ""
        return f"<table>{caption}<thead>{head}</thead><tbody>{rows}{tail}</tbody></table>"
