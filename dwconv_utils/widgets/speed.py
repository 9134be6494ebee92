"""The timing explorer of notebook 05: the FLOP ratio of a layer beside the time ratio measured here.

Each redraw times a standard conv against its depthwise + pointwise steps
(``dwconv_utils.speed``), so its ``redraw_seconds`` are measurement times.
"""
from __future__ import annotations

import ipywidgets as widgets

from .. import checks
from ..cost import ConvCosts, conv_costs
from ..speed import CONV_PARTS, LayerSpeed, time_standard_vs_separable
from ..style import color_for
from .base import CHANNEL_STOPS, MAP_SIZE_STOPS, WIDE_LABEL, Explorer, stop_slider

KERNEL_STOPS = (1, 3, 5, 7)
BATCH_STOPS = (1, 2, 4, 8, 16, 32, 64, 128)
# Larger layers are not measured: one call would take too long for a slider on a laptop.
MAX_MEASURED_MACS = 10 ** 9            # standard conv mult-adds per call (2 GFLOP)
MAX_MEASURED_VALUES = 2 ** 25          # input + output values per call (128 MB in float32)


def _bar_html(label: str, parts: list[tuple[str, float]], scale: float, text: str) -> str:
    """One horizontal bar of coloured parts, drawn in HTML (width in % of ``scale``)."""
    divs = "".join(f"<div title='{kind}' style='display:inline-block;height:22px;"
                   f"width:{100 * min(value / scale, 1):.2f}%;background:{color_for(kind)}'></div>"
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


class SpeedExplorer(Explorer):
    """Sliders for Dk, M, N, DF and the batch, and a memory-format switch; every change
    times a standard conv against its depthwise + pointwise steps on this machine.

    Readouts are ipywidgets: ``ratios`` (the exact FLOP ratio beside the measured time
    ratio), ``table`` (mult-adds, ms, GFLOP/s, FLOP/byte per part), ``bars`` and
    ``status``. ``speeds`` keeps every measurement, ``redraw_seconds`` how long each
    update took (notebook 05).
    """

    def __init__(self, Dk: int = 3, M: int = 64, N: int = 128, DF: int = 28, batch: int = 8,
                 channels_last: bool = False, device=None, repeats: int = 3):
        self.device, self.repeats = device, checks.positive_int("repeats", repeats)
        self.dk = stop_slider("Dk (kernel)", Dk, KERNEL_STOPS)
        self.m = stop_slider("M (in channels)", M, CHANNEL_STOPS)
        self.n = stop_slider("N (out channels)", N, CHANNEL_STOPS)
        self.df = stop_slider("DF (map size)", DF, MAP_SIZE_STOPS)
        self.batch = stop_slider("batch", batch, BATCH_STOPS)
        self.memory_format = widgets.ToggleButtons(
            options=["NCHW", "channels_last"], value="channels_last" if channels_last else "NCHW",
            description="memory", style=WIDE_LABEL)
        self.ratios, self.table, self.bars = widgets.HTML(), widgets.HTML(), widgets.HTML()
        self.status = widgets.Label()
        self.speeds: list[LayerSpeed] = []
        self._measured = False  # whether the latest redraw timed the layer
        controls = [self.dk, self.m, self.n, self.df, self.batch, self.memory_format]
        for control in controls:
            if hasattr(control, "continuous_update"):
                control.continuous_update = False  # measure once, when the slider is let go
        readouts = widgets.VBox([self.ratios, self.table, self.status])
        super().__init__([widgets.HBox([widgets.VBox(controls), readouts]), self.bars])
        self.redraw_on_change(controls)
        self.redraw()

    def _costs(self) -> ConvCosts:
        return conv_costs(self.dk.value, self.m.value, self.n.value, self.df.value)

    def too_large(self) -> str:
        """Why the current layer is not measured ("" when it is measured)."""
        costs, batch = self._costs(), self.batch.value
        macs = batch * costs.macs["standard"]
        values = batch * costs.DF * costs.DF * (costs.M + costs.N)
        if macs > MAX_MEASURED_MACS:
            return (f"not timed: the standard conv needs {2 * macs / 1e9:.1f} GFLOP per call, "
                    f"more than {2 * MAX_MEASURED_MACS / 1e9:.0f}; lower N, M, DF or the batch")
        if values > MAX_MEASURED_VALUES:
            return (f"not timed: {values * 4 / 2 ** 20:.0f} MB of input and output, more than "
                    f"{MAX_MEASURED_VALUES * 4 / 2 ** 20:.0f} MB; lower the batch or DF")
        return ""

    def redraw(self) -> None:
        """Time the layer the controls describe and update every readout; the status line
        then says how long that took (the latest of ``redraw_seconds``)."""
        super().redraw()
        if self._measured:
            speed = self.speeds[-1]
            self.status.value = (f"measured on {speed.device}, batch {speed.batch}, "
                                 f"{self.memory_format.value}: median of {self.repeats}, "
                                 f"{self.last_redraw_seconds:.2f} s to measure")

    def _draw(self) -> None:
        flop_ratio = 1 / self._costs().ratio
        Dk, N = self.dk.value, self.n.value
        flops_text = (f"<div style='font-size:18px'>FLOP ratio, standard / separable: "
                      f"<b>{float(flop_ratio):.2f}x</b> (exactly {flop_ratio.numerator}/"
                      f"{flop_ratio.denominator} = 1 / (1/{N} + 1/{Dk * Dk}))")
        reason = self.too_large()
        self._measured = not reason
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


def speed_explorer(Dk: int = 3, M: int = 64, N: int = 128, DF: int = 28, batch: int = 8,
                   channels_last: bool = False, device=None, repeats: int = 3) -> SpeedExplorer:
    """A widget for notebook 05: choose Dk, M, N, DF, the batch and the memory format, and
    see the exact FLOP ratio of standard / separable next to the time ratio measured here.

    Each change runs a short measurement (inference, median of ``repeats``
    interleaved samples; layers above 2 GFLOP per call are not timed), well
    under a second on a laptop for most settings.
    """
    return SpeedExplorer(Dk, M, N, DF, batch, channels_last, device, repeats)
