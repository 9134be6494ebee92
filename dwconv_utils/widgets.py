"""Interactive explorers (ipywidgets) for lectures.

Works with ipywidgets 7.7 (Colab) and 8 (JupyterLab): only APIs common to
both. Callbacks that only recompute formulas must redraw in well under 0.1 s;
expensive ones use ``continuous_update=False``.
"""
from __future__ import annotations


# --- Notebooks 01-02: kernels per channel, pointwise mixing weights -----------





# --- Notebook 03: cost explorer -----------------------------------------------
# Imports live in each section, so that the sections merge without conflicts.
import io  # noqa: E402
import time  # noqa: E402

import ipywidgets as widgets  # noqa: E402
import matplotlib as mpl  # noqa: E402

from . import _checks  # noqa: E402
from .cost import (cost_ratio, depthwise_conv_macs, depthwise_conv_params,  # noqa: E402
                   pointwise_conv_macs, pointwise_conv_params, separable_conv_params,
                   standard_conv_macs, standard_conv_params)

# Slider stops: channels on a log scale (powers of two up to 2048); map sizes
# that occur in MobileNet (224 ... 7) and in the seed's CNN (28, 14, 7, 3).
CHANNEL_STOPS = tuple(2 ** e for e in range(12))
MAP_SIZE_STOPS = (1, 3, 7, 14, 28, 56, 112, 224)
MAX_KERNEL = 7
_WIDE_LABEL = {"description_width": "130px"}  # room for "N (out channels)"


def _cost_figure() -> "_CostBars":
    """The explorer's figure, drawn once in full; updates then redraw only what moves."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .style import apply_style

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
        from .style import color_for

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

    def update(self, dw: int, pw: int, standard: int, Dk: int, N: int) -> None:
        """Move the bars and texts to a layer with these costs."""
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
        self.title.set_text(f"Dk = {Dk}, N = {N}: separable needs {verdict}")

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
        from PIL import Image

        canvas = self.figure.canvas
        canvas.restore_region(self.background)
        for artist in self.moving:
            artist.axes.draw_artist(artist)
        image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(),
                                 "raw", "RGBA", 0, 1).convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


def _cost_rows_html(rows: list[tuple[str, int, int]], ratio_row: tuple[str, str, str]) -> str:
    cells = "".join(f"<tr><td>{name}</td><td style='text-align:right'>{macs:,}</td>"
                    f"<td style='text-align:right'>{params:,}</td></tr>" for name, macs, params in rows)
    name, macs, params = ratio_row
    cells += (f"<tr style='font-weight:bold'><td>{name}</td><td style='text-align:right'>{macs}</td>"
              f"<td style='text-align:right'>{params}</td></tr>")
    return ("<table style='font-size:15px'><thead><tr><th></th><th>mult-adds</th>"
            f"<th>parameters</th></tr></thead><tbody>{cells}</tbody></table>")


class CostExplorer(widgets.VBox):
    """Sliders for Dk, M, N, DF and what a standard and a separable conv then cost.

    Readouts are ipywidgets (``costs``: a table of mult-adds and parameters;
    ``ratio``: the measured ratio beside 1/N + 1/Dk^2); the figure is drawn
    once and its bars moved on every change, then shown as a PNG in ``image``.
    ``redraw_seconds`` keeps the duration of every redraw (notebook 03).
    """

    def __init__(self, Dk: int = 3, M: int = 32, N: int = 64, DF: int = 14):
        if _checks.positive_int("Dk", Dk) > MAX_KERNEL:
            raise ValueError(f"Dk must be from 1 to {MAX_KERNEL}, got {Dk}")
        self.dk = widgets.IntSlider(value=Dk, min=1, max=MAX_KERNEL, description="Dk (kernel)",
                                    style=_WIDE_LABEL)
        self.m = _stop_slider("M (in channels)", M, CHANNEL_STOPS)
        self.n = _stop_slider("N (out channels)", N, CHANNEL_STOPS)
        self.df = _stop_slider("DF (output map)", DF, MAP_SIZE_STOPS)
        self.costs = widgets.HTML()
        self.ratio = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.redraw_seconds: list[float] = []
        self._bars = _cost_figure()
        self.figure = self._bars.figure
        for slider in (self.dk, self.m, self.n, self.df):
            slider.observe(self._on_change, names="value")
        readouts = widgets.VBox([self.ratio, self.costs])
        super().__init__([widgets.HBox([widgets.VBox([self.dk, self.m, self.n, self.df]), readouts]),
                          self.image])
        self.redraw()

    def _on_change(self, _change) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Recompute the costs from the sliders and update the readouts and the figure."""
        start = time.perf_counter()
        Dk, M, N, DF = self.dk.value, self.m.value, self.n.value, self.df.value
        standard = standard_conv_macs(Dk, M, N, DF)
        dw, pw = depthwise_conv_macs(Dk, M, DF), pointwise_conv_macs(M, N, DF)
        ratio = cost_ratio(N, Dk)
        self.costs.value = _cost_rows_html(
            [("standard", standard, standard_conv_params(Dk, M, N)),
             ("depthwise", dw, depthwise_conv_params(Dk, M)),
             ("pointwise (1x1)", pw, pointwise_conv_params(M, N)),
             ("separable = depthwise + pointwise", dw + pw, separable_conv_params(Dk, M, N))],
            ("separable / standard", f"{(dw + pw) / standard:.4f}",
             f"{separable_conv_params(Dk, M, N) / standard_conv_params(Dk, M, N):.4f}"))
        self.ratio.value = (f"<div style='font-size:18px'>separable / standard = "
                            f"<b>{float(ratio):.4f}</b> = 1/{N} + 1/{Dk * Dk} "
                            f"= 1/N + 1/Dk² (exactly {ratio.numerator}/{ratio.denominator})</div>")
        self._bars.update(dw, pw, standard, Dk, N)
        self.image.value = self._bars.png()
        self.redraw_seconds.append(time.perf_counter() - start)

    @property
    def last_redraw_seconds(self) -> float:
        return self.redraw_seconds[-1]



def _stop_slider(description: str, value: int, stops: tuple[int, ...]) -> widgets.SelectionSlider:
    """A slider over fixed stops (a log scale for channels), showing the value itself."""
    if value not in stops:
        raise ValueError(f"{description.split()[0]} must be one of {', '.join(map(str, stops))}; "
                         f"got {value!r}")
    return widgets.SelectionSlider(options=list(stops), value=value, description=description,
                                   style=_WIDE_LABEL)


def cost_explorer(Dk: int = 3, M: int = 32, N: int = 64, DF: int = 14) -> CostExplorer:
    """A widget for notebook 03: drag Dk, M, N, DF and watch mult-adds, parameters and the
    ratio separable / standard next to 1/N + 1/Dk^2, with the depthwise vs pointwise split.

    M and N move over powers of two (1 to 2048), DF over map sizes of MobileNet
    and the seed's CNN. Every redraw only recomputes formulas and moves bars,
    well under 0.1 s (``explorer.redraw_seconds`` keeps every duration).
    """
    return CostExplorer(Dk, M, N, DF)






# --- Notebook 05: timing explorer ---------------------------------------------
# Imports live in each section, so that the sections merge without conflicts.
from .cost import standard_conv_macs as _standard_macs  # noqa: E402
from .speed import CONV_PARTS, LayerSpeed, time_standard_vs_separable  # noqa: E402
from .style import color_for as _color_for  # noqa: E402

KERNEL_STOPS = (1, 3, 5, 7)
BATCH_STOPS = (1, 2, 4, 8, 16, 32, 64, 128)
# Larger layers are not measured: one call would take too long for a slider on a laptop.
MAX_MEASURED_MACS = 10 ** 9            # standard conv mult-adds per call (2 GFLOP)
MAX_MEASURED_VALUES = 2 ** 25          # input + output values per call (128 MB in float32)


def _bar_html(label: str, parts: list[tuple[str, float]], scale: float, text: str) -> str:
    """One horizontal bar of coloured parts, drawn in HTML (width in % of ``scale``)."""
    divs = "".join(f"<div title='{kind}' style='display:inline-block;height:22px;"
                   f"width:{100 * min(value / scale, 1):.2f}%;background:{_color_for(kind)}'></div>"
                   for kind, value in parts)
    return (f"<tr><td style='padding-right:8px'>{label}</td><td style='width:420px'>"
            f"<div style='width:100%;white-space:nowrap;line-height:0'>{divs}</div></td>"
            f"<td style='padding-left:8px'>{text}</td></tr>")


def _speed_bars_html(speed: LayerSpeed) -> str:
    """Mult-adds and time of standard vs separable as bars, standard = full width."""
    rows = []
    for what, value in (("mult-adds", lambda p: speed.traffic[p].macs),
                        ("time", lambda p: speed.times[p].median)):
        standard = value("standard")
        separable = value("depthwise") + value("pointwise")
        rows.append(_bar_html(f"standard, {what}", [("standard", standard)], standard, "1"))
        rows.append(_bar_html(f"separable, {what}", [("depthwise", value("depthwise")),
                                                     ("pointwise", value("pointwise"))],
                              standard, f"{separable / standard:.3f}"))
    return "<table style='font-size:14px'>" + "".join(rows) + "</table>"


def _speed_table_html(speed: LayerSpeed) -> str:
    cells = "".join(
        f"<tr><td>{part}</td><td style='text-align:right'>{speed.traffic[part].macs:,}</td>"
        f"<td style='text-align:right'>{1e3 * speed.times[part].median:.3f}</td>"
        f"<td style='text-align:right'>{speed.gflops(part):.1f}</td>"
        f"<td style='text-align:right'>{speed.traffic[part].intensity:.1f}</td></tr>"
        for part in CONV_PARTS)
    return ("<table style='font-size:14px'><thead><tr><th></th><th>mult-adds</th><th>ms</th>"
            f"<th>GFLOP/s</th><th>FLOP/byte</th></tr></thead><tbody>{cells}</tbody></table>")


class SpeedExplorer(widgets.VBox):
    """Sliders for Dk, M, N, DF and the batch, and a memory-format switch; every change
    times a standard conv against its depthwise + pointwise steps on this machine.

    Readouts are ipywidgets: ``ratios`` (the exact FLOP ratio beside the measured time
    ratio), ``table`` (mult-adds, ms, GFLOP/s, FLOP/byte per part), ``bars`` and
    ``status``. ``speeds`` keeps every measurement, ``measure_seconds`` how long each
    update took (notebook 05).
    """

    def __init__(self, Dk: int = 3, M: int = 64, N: int = 128, DF: int = 28, batch: int = 8,
                 channels_last: bool = False, device=None, repeats: int = 3):
        self.device, self.repeats = device, _checks.positive_int("repeats", repeats)
        self.dk = _stop_slider("Dk (kernel)", Dk, KERNEL_STOPS)
        self.m = _stop_slider("M (in channels)", M, CHANNEL_STOPS)
        self.n = _stop_slider("N (out channels)", N, CHANNEL_STOPS)
        self.df = _stop_slider("DF (map size)", DF, MAP_SIZE_STOPS)
        self.batch = _stop_slider("batch", batch, BATCH_STOPS)
        self.memory_format = widgets.ToggleButtons(
            options=["NCHW", "channels_last"], value="channels_last" if channels_last else "NCHW",
            description="memory", style=_WIDE_LABEL)
        self.ratios, self.table, self.bars = widgets.HTML(), widgets.HTML(), widgets.HTML()
        self.status = widgets.Label()
        self.speeds: list[LayerSpeed] = []
        self.measure_seconds: list[float] = []
        controls = [self.dk, self.m, self.n, self.df, self.batch, self.memory_format]
        for control in controls:
            if hasattr(control, "continuous_update"):
                control.continuous_update = False  # measure once, when the slider is let go
            control.observe(self._on_change, names="value")
        readouts = widgets.VBox([self.ratios, self.table, self.status])
        super().__init__([widgets.HBox([widgets.VBox(controls), readouts]), self.bars])
        self.remeasure()

    def _on_change(self, _change) -> None:
        self.remeasure()

    def too_large(self) -> str:
        """Why the current layer is not measured ("" when it is measured)."""
        Dk, M, N, DF, batch = (self.dk.value, self.m.value, self.n.value, self.df.value,
                               self.batch.value)
        macs = batch * _standard_macs(Dk, M, N, DF)
        values = batch * DF * DF * (M + N)
        if macs > MAX_MEASURED_MACS:
            return (f"not timed: the standard conv needs {2 * macs / 1e9:.1f} GFLOP per call, "
                    f"more than {2 * MAX_MEASURED_MACS / 1e9:.0f}; lower N, M, DF or the batch")
        if values > MAX_MEASURED_VALUES:
            return (f"not timed: {values * 4 / 2 ** 20:.0f} MB of input and output, more than "
                    f"{MAX_MEASURED_VALUES * 4 / 2 ** 20:.0f} MB; lower the batch or DF")
        return ""

    def remeasure(self) -> None:
        """Time the layer the controls describe and update every readout."""
        start = time.perf_counter()
        Dk, N = self.dk.value, self.n.value
        flop_ratio = 1 / cost_ratio(N, Dk)
        flops_text = (f"<div style='font-size:18px'>FLOP ratio, standard / separable: "
                      f"<b>{float(flop_ratio):.2f}x</b> (exactly {flop_ratio.numerator}/"
                      f"{flop_ratio.denominator} = 1 / (1/{N} + 1/{Dk * Dk}))")
        reason = self.too_large()
        if reason:
            self.ratios.value = flops_text + "<br>time ratio: not measured</div>"
            self.table.value, self.bars.value, self.status.value = "", "", reason
            return
        speed = time_standard_vs_separable(Dk, self.m.value, N, self.df.value, self.batch.value,
                                           self.memory_format.value == "channels_last",
                                           self.device, repeats=self.repeats)
        self.speeds.append(speed)
        verdict = "faster" if speed.time_ratio >= 1 else "slower"
        self.ratios.value = (flops_text + f"<br>time ratio, standard / separable: "
                             f"<b>{speed.time_ratio:.2f}x</b> (separable runs {verdict})</div>")
        self.table.value = _speed_table_html(speed)
        self.bars.value = _speed_bars_html(speed)
        self.measure_seconds.append(time.perf_counter() - start)
        self.status.value = (f"measured on {speed.device}, batch {speed.batch}, "
                             f"{self.memory_format.value}: median of {self.repeats}, "
                             f"{self.measure_seconds[-1]:.2f} s to measure")


def speed_explorer(Dk: int = 3, M: int = 64, N: int = 128, DF: int = 28, batch: int = 8,
                   channels_last: bool = False, device=None, repeats: int = 3) -> SpeedExplorer:
    """A widget for notebook 05: choose Dk, M, N, DF, the batch and the memory format, and
    see the exact FLOP ratio of standard / separable next to the time ratio measured here.

    Each change runs a short measurement (inference, median of ``repeats``
    interleaved samples; layers above 2 GFLOP per call are not timed), well
    under a second on a laptop for most settings.
    """
    return SpeedExplorer(Dk, M, N, DF, batch, channels_last, device, repeats)
