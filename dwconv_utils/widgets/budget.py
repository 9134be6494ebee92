"""The budget explorer of notebook 06: drag a budget, see the best model of each family within it.

Everything shown comes from the committed results (``budget.family_points``): the most
accurate trained width of each family whose parameters (or mult-adds) fit the budget, its
accuracy over seeds, its size and its epoch time. Each budget kind has its own figure, drawn
once; a redraw only moves the budget line and the highlighted points (blitting), a few ms.
"""
from __future__ import annotations

import math

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..budget import BUDGET_WORDS, BUDGETS, FAMILIES, best_within, frontier
from ..plots.budget import BUDGET_LABELS, draw_family, format_budget_axis
from ..style import apply_style, color_for
from ..tables import short_count
from .base import WIDE_LABEL, Explorer, blitted_png

STOPS_PER_DECADE = 12


def budget_stops(points: dict, kind: str) -> tuple[int, ...]:
    """Log-spaced budgets from the smallest trained point to the largest, plus every point's own."""
    budgets = [p.budget(kind) for members in points.values() for p in members]
    low, high = math.log10(min(budgets)), math.log10(max(budgets))
    count = max(2, int((high - low) * STOPS_PER_DECADE) + 1)
    stops = {int(round(10 ** v)) for v in np.linspace(low, high, count)} | set(budgets)
    return tuple(sorted(stops))


class _BudgetFigure:
    """Accuracy against one budget kind for both families, drawn once; the budget line and the
    two chosen points are the only artists that move."""

    def __init__(self, points: dict, kind: str):
        with mpl.rc_context():
            apply_style()
            self.figure = Figure(figsize=(8.2, 4.1), dpi=80, layout="constrained")
            FigureCanvasAgg(self.figure)
            ax = self.ax = self.figure.subplots()
            best = frontier([p for members in points.values() for p in members], kind)
            for members in points.values():
                draw_family(ax, members, kind, best)
            format_budget_axis(ax)
            ax.set(xlabel=BUDGET_LABELS[kind], ylabel="test accuracy (%)")
            ax.grid(alpha=0.3, which="both")
            ax.legend(loc="lower right")
            self.line = ax.axvline(1, color="black", lw=1.5, ls="--")
            self.chosen = {f: ax.scatter([], [], s=420, marker="*", color=color_for(f), edgecolors="black",
                                         zorder=4) for f in FAMILIES}
            self.title = ax.set_title(" ")
            self.moving = [self.line, self.title, *self.chosen.values()]
            for artist in self.moving:
                artist.set_animated(True)
            self.figure.canvas.draw()
            self.figure.set_layout_engine("none")
            self.background = self.figure.canvas.copy_from_bbox(self.figure.bbox)

    def update(self, budget: float, chosen: dict, kind: str) -> bytes:
        self.line.set_xdata([budget, budget])
        for family, point in chosen.items():
            self.chosen[family].set_offsets(np.empty((0, 2)) if point is None
                                            else [[point.budget(kind), 100 * point.accuracy]])
        self.title.set_text(f"budget: {short_count(budget)} {BUDGET_WORDS[kind]}")
        return blitted_png(self.figure, self.background, self.moving)


def _choice_html(chosen: dict, kind: str) -> str:
    rows = []
    for family in FAMILIES:
        p = chosen[family]
        color = color_for(family)
        if p is None:
            rows.append(f"<tr><td style='color:{color}'><b>{family}</b></td>"
                        f"<td colspan='5'>no trained width fits this budget</td></tr>")
            continue
        spread = f" ({100 * p.low:.2f}-{100 * p.high:.2f})" if len(p.runs) > 1 else ""
        epoch = "" if p.epoch_seconds is None else f"{p.epoch_seconds:.1f} s"
        rows.append(f"<tr><td style='color:{color}'><b>{family}</b></td><td>width {p.width:g}</td>"
                    f"<td style='text-align:right'><b>{100 * p.accuracy:.2f}%</b>{spread}</td>"
                    f"<td style='text-align:right'>{p.params:,}</td>"
                    f"<td style='text-align:right'>{p.mult_adds:,}</td>"
                    f"<td style='text-align:right'>{epoch}</td></tr>")
    head = ("<tr><th></th><th>best within budget</th><th>test accuracy</th><th>parameters</th>"
            "<th>mult-adds</th><th>epoch</th></tr>")
    return f"<table style='font-size:15px'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


class BudgetExplorer(Explorer):
    """A budget slider (log scale) and a switch between parameters and mult-adds; shows the most
    accurate trained model of each family within the budget (``table``), highlighted on the
    accuracy-against-budget figure (``image``). ``chosen`` holds the two points shown."""

    def __init__(self, points: dict, kind: str = "params", budget: float | None = None):
        if kind not in BUDGETS:
            raise ValueError(f"kind must be one of {', '.join(map(repr, BUDGETS))}; got {kind!r}")
        if not all(points.get(f) for f in FAMILIES):
            raise ValueError("points must hold trained points of both families "
                             "(budget.family_points on results that have them)")
        self.points = points
        self.figures = {k: _BudgetFigure(points, k) for k in BUDGETS}
        self.stops = {k: budget_stops(points, k) for k in BUDGETS}
        self.kind = widgets.ToggleButtons(options=[("parameters", "params"), ("mult-adds", "mult_adds")],
                                          value=kind, description="budget in", style=WIDE_LABEL)
        # One slider per budget kind, only the chosen one shown: each keeps its own stops.
        self.sliders = {k: widgets.SelectionSlider(
            options=[(short_count(s), s) for s in self.stops[k]], value=self._nearest(k, budget),
            description="budget", style=WIDE_LABEL, layout=widgets.Layout(width="520px"))
            for k in BUDGETS}
        self._show_slider(kind)
        self.table, self.image = widgets.HTML(), widgets.Image(format="png")
        self.chosen: dict = {}
        super().__init__([widgets.VBox([self.kind, *self.sliders.values()]), self.table, self.image])
        self.kind.observe(self._on_kind, names="value")
        self.redraw_on_change(self.sliders.values())
        self.redraw()

    @property
    def budget(self) -> widgets.SelectionSlider:
        """The slider of the budget kind now chosen."""
        return self.sliders[self.kind.value]

    def _nearest(self, kind: str, budget: float | None) -> int:
        stops = self.stops[kind]
        target = budget if budget is not None else stops[len(stops) // 2]
        return min(stops, key=lambda s: abs(math.log(s) - math.log(target)))

    def _show_slider(self, kind: str) -> None:
        for k, slider in self.sliders.items():
            slider.layout.display = "" if k == kind else "none"

    def _on_kind(self, change) -> None:
        # Keep the same separable model chosen where possible: go to its budget of the new kind.
        point = self.chosen.get("separable")
        slider = self.sliders[change["new"]]
        self._show_slider(change["new"])
        value = self._nearest(change["new"], point.budget(change["new"]) if point else None)
        if slider.value == value:
            self.redraw()
        else:
            slider.value = value  # its observer redraws

    def _draw(self) -> None:
        kind, budget = self.kind.value, self.budget.value
        self.chosen = {f: best_within(self.points[f], budget, kind) for f in FAMILIES}
        self.table.value = _choice_html(self.chosen, kind)
        self.image.value = self.figures[kind].update(budget, self.chosen, kind)

    def __repr__(self) -> str:  # the widget's text form: short, and the same on every run
        return f"BudgetExplorer(kind={self.kind.value!r}, budget={self.budget.value})"


def budget_explorer(points: dict, kind: str = "params", budget: float | None = None) -> BudgetExplorer:
    """A widget for notebook 06: drag a budget in parameters or mult-adds and see, from the
    committed results, the most accurate model of each family that fits it."""
    return BudgetExplorer(points, kind, budget)
