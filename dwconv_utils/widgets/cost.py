"""The cost explorer of notebook 03: sliders for Dk, M, N, DF and what each part of the layer costs.

Every number comes from ``dwconv_utils.cost.conv_costs``; the figure (cost
bars, drawn once and blitted) only moves its bars, so a redraw is a few ms.
"""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import checks
from ..cost import ConvCosts, conv_costs
from ..style import apply_style, color_for
from .base import CHANNEL_STOPS, MAP_SIZE_STOPS, WIDE_LABEL, Explorer, blitted_png, stop_slider

MAX_KERNEL = 7
# The rows of the cost table: its label, and the part of ``ConvCosts`` it shows.
_TABLE_ROWS = (("standard", "standard"), ("depthwise", "depthwise"),
               ("pointwise (1x1)", "pointwise"),
               ("separable = depthwise + pointwise", "separable"))


def _cost_figure() -> "_CostBars":
    """The explorer's figure, drawn once in full; updates then redraw only what moves."""
    with mpl.rc_context():
        apply_style()
        figure = Figure(figsize=(8.4, 3.9), dpi=80, layout="constrained")
        FigureCanvasAgg(figure)
        return _CostBars(figure)


class _CostBars:
    """Bars of the cost explorer: costs relative to a standard conv, and the separable split.

    Axes, ticks, labels and the standard bar never change, so they are drawn
    once and kept as a bitmap; an update restores it and draws only the
    moving bars and texts on top (blitting). Drawing text is what costs time
    in Agg, so this keeps a redraw at a few milliseconds.
    """

    X_LIMIT = 1.3  # standard = 1; only Dk = 1 with N < 4 goes past this

    def __init__(self, figure):
        self.figure = figure
        top, bottom = self.top, self.bottom = figure.subplots(2, 1, height_ratios=(2, 1))
        top.barh([1], [1.0], color=color_for("standard"), height=0.6)
        top.text(1.0, 1, " 1", va="center", ha="left")
        self.depthwise = top.barh([0], [0.0], color=color_for("depthwise"), height=0.6)[0]
        self.pointwise = top.barh([0], [0.0], color=color_for("pointwise"), height=0.6)[0]
        top.set_xlim(0, self.X_LIMIT)
        top.set_yticks([1, 0], ["standard", "separable"])
        top.set_xlabel("mult-adds (and parameters), standard conv = 1")
        self.separable_text = top.text(0.0, 0, "", va="center", ha="left")
        self.title = top.set_title(" ")

        self.share_dw = bottom.barh([0], [0.0], color=color_for("depthwise"), height=0.6)[0]
        self.share_pw = bottom.barh([0], [0.0], color=color_for("pointwise"), height=0.6)[0]
        self.share_dw_text = bottom.text(1, 0, "", va="center", ha="left", color="white",
                                         fontweight="bold")
        self.share_pw_text = bottom.text(99, 0, "", va="center", ha="right", color="white",
                                         fontweight="bold")
        bottom.set_xlim(0, 100)
        bottom.set_yticks([0], ["separable"])
        bottom.set_xlabel("split of the separable layer's mult-adds (%)")

        self.moving = [self.depthwise, self.pointwise, self.separable_text, self.title,
                       self.share_dw, self.share_pw, self.share_dw_text, self.share_pw_text]
        for artist in self.moving:
            artist.set_animated(True)
        figure.canvas.draw()  # lays out the figure and draws everything that stays
        figure.set_layout_engine("none")
        self.background = figure.canvas.copy_from_bbox(figure.bbox)

    def update(self, costs: ConvCosts) -> None:
        """Move the bars and texts to a layer with these costs."""
        macs = costs.macs
        dw, pw, standard = macs["depthwise"], macs["pointwise"], macs["standard"]
        depthwise, pointwise = dw / standard, pw / standard
        ratio = depthwise + pointwise
        self.depthwise.set_width(depthwise)
        self.pointwise.set_x(depthwise)
        self.pointwise.set_width(pointwise)
        if ratio > self.X_LIMIT - 0.2:  # no room right of the bar: label it inside its end
            off_scale = " (off scale) \u2192" if ratio > self.X_LIMIT else ""
            self.separable_text.set(position=(min(ratio, self.X_LIMIT) - 0.01, 0), ha="right",
                                    color="white", text=f"{ratio:.4f}{off_scale}")
        else:
            self.separable_text.set(position=(ratio + 0.02, 0), ha="left", color="black",
                                    text=f"{ratio:.4f}")
        verdict = (f"{1 / ratio:.2f}x fewer mult-adds" if ratio <= 1
                   else f"{ratio:.4f}x as many (more!)")
        self.title.set_text(f"Dk = {costs.Dk}, N = {costs.N}: separable needs {verdict}")

        share_dw = 100 * dw / (dw + pw)
        self.share_dw.set_width(share_dw)
        self.share_pw.set_x(share_dw)
        self.share_pw.set_width(100 - share_dw)
        wide = share_dw >= 30  # room for the depthwise label inside its own bar
        self.share_dw_text.set_text(f"depthwise {share_dw:.1f}%" if wide else "")
        self.share_pw_text.set_text(f"pointwise {100 - share_dw:.1f}%"
                                    + ("" if wide else f"   (depthwise {share_dw:.1f}%)"))

    def png(self) -> bytes:
        """The figure as PNG: the kept background with the moving artists drawn over it."""
        return blitted_png(self.figure, self.background, self.moving)


def _cost_rows_html(costs: ConvCosts) -> str:
    """The table of mult-adds and parameters per part, and their ratio separable / standard."""
    macs, params = costs.macs, costs.params
    cells = "".join(f"<tr><td>{label}</td><td style='text-align:right'>{macs[part]:,}</td>"
                    f"<td style='text-align:right'>{params[part]:,}</td></tr>"
                    for label, part in _TABLE_ROWS)
    cells += ("<tr style='font-weight:bold'><td>separable / standard</td>"
              f"<td style='text-align:right'>{float(costs.ratio):.4f}</td>"
              f"<td style='text-align:right'>{float(costs.param_ratio):.4f}</td></tr>")
    return ("<table style='font-size:15px'><thead><tr><th></th><th>mult-adds</th>"
            f"<th>parameters</th></tr></thead><tbody>{cells}</tbody></table>")


class CostExplorer(Explorer):
    """Sliders for Dk, M, N, DF and what a standard and a separable conv then cost.

    Readouts are ipywidgets (``costs``: a table of mult-adds and parameters;
    ``ratio``: the measured ratio beside 1/N + 1/Dk^2); the figure is drawn
    once and its bars moved on every change, then shown as a PNG in ``image``.
    ``redraw_seconds`` keeps the duration of every redraw (notebook 03).
    """

    def __init__(self, Dk: int = 3, M: int = 32, N: int = 64, DF: int = 14):
        if checks.positive_int("Dk", Dk) > MAX_KERNEL:
            raise ValueError(f"Dk must be from 1 to {MAX_KERNEL}, got {Dk}")
        self.dk = widgets.IntSlider(value=Dk, min=1, max=MAX_KERNEL, description="Dk (kernel)",
                                    style=WIDE_LABEL)
        self.m = stop_slider("M (in channels)", M, CHANNEL_STOPS)
        self.n = stop_slider("N (out channels)", N, CHANNEL_STOPS)
        self.df = stop_slider("DF (output map)", DF, MAP_SIZE_STOPS)
        self.costs = widgets.HTML()
        self.ratio = widgets.HTML()
        self.image = widgets.Image(format="png")
        self._bars = _cost_figure()
        self.figure = self._bars.figure
        readouts = widgets.VBox([self.ratio, self.costs])
        super().__init__([widgets.HBox([widgets.VBox([self.dk, self.m, self.n, self.df]), readouts]),
                          self.image])
        self.redraw_on_change([self.dk, self.m, self.n, self.df])
        self.redraw()

    def _draw(self) -> None:
        """Recompute the costs from the sliders and update the readouts and the figure."""
        costs = conv_costs(self.dk.value, self.m.value, self.n.value, self.df.value)
        ratio, N, Dk = costs.ratio, costs.N, costs.Dk
        self.costs.value = _cost_rows_html(costs)
        self.ratio.value = (f"<div style='font-size:18px'>separable / standard = "
                            f"<b>{float(ratio):.4f}</b> = 1/{N} + 1/{Dk * Dk} "
                            f"= 1/N + 1/Dk² (exactly {ratio.numerator}/{ratio.denominator})</div>")
        self._bars.update(costs)
        self.image.value = self._bars.png()


def cost_explorer(Dk: int = 3, M: int = 32, N: int = 64, DF: int = 14) -> CostExplorer:
    """A widget for notebook 03: drag Dk, M, N, DF and watch mult-adds, parameters and the
    ratio separable / standard next to 1/N + 1/Dk^2, with the depthwise vs pointwise split.

    M and N move over powers of two (1 to 2048), DF over map sizes of MobileNet
    and the seed's CNN. Every redraw only recomputes formulas and moves bars,
    well under 0.1 s (``explorer.redraw_seconds`` keeps every duration).
    """
    return CostExplorer(Dk, M, N, DF)
