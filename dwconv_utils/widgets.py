"""Interactive explorers (ipywidgets) for lectures.

Works with ipywidgets 7.7 (Colab) and 8 (JupyterLab): only APIs common to
both. Callbacks that only recompute formulas must redraw in well under 0.1 s;
expensive ones use ``continuous_update=False``.
"""
from __future__ import annotations


# --- Notebooks 01-02: kernels per channel, pointwise mixing weights -----------
# (imports kept in this section so each section merges on its own)
import functools  # noqa: E402
import io  # noqa: E402
import time  # noqa: E402

import ipywidgets as widgets  # noqa: E402
import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image as PILImage  # noqa: E402  (pillow comes with matplotlib)

from .images import CHANNEL_NAMES, EXAMPLE_KERNELS, KERNEL_NAMES, depthwise_weight  # noqa: E402
from .style import CHANNEL_CMAPS, CHANNEL_COLORS, COLORS, DIVERGING_CMAP  # noqa: E402
from .timing import using_threads  # noqa: E402

TILE_WIDTH = "170px"   # one feature map on screen
KERNEL_PIXELS = 72     # kernels are blown up to about this many pixels, cells kept sharp
KERNEL_SIZES = (3, 5, 7, 9)


@functools.lru_cache(maxsize=None)
def _colormap(name: str):
    return matplotlib.colormaps[name]  # a fresh copy each lookup, which rebuilds its table


def png_tile(values, cmap: str, vmin: float, vmax: float) -> bytes:
    """A 2-D array as PNG bytes through a colour map: no figure, so a redraw costs milliseconds.

    Light compression: encoding is most of the cost, and the tiles are small.
    Used by the explorers of notebooks 01-02.
    """
    values = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    scaled = (values - vmin) / (vmax - vmin) if vmax > vmin else np.full(values.shape, 0.5)
    rgba = _colormap(cmap)(scaled, bytes=True)
    buffer = io.BytesIO()
    PILImage.fromarray(rgba).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def _signed_png(values, limit: float | None = None) -> bytes:
    """White is zero; by default the map's own largest value sets the colour scale."""
    limit = limit or float(values.abs().max()) or 1.0
    return png_tile(values, DIVERGING_CMAP, -limit, limit)


def _kernel_png(kernel) -> bytes:
    """A k x k kernel blown up with square cells, so the browser does not blur it."""
    cell = max(1, KERNEL_PIXELS // kernel.shape[-1])
    return _signed_png(kernel.repeat_interleave(cell, 0).repeat_interleave(cell, 1))


def _tile(png: bytes = b"", width: str = TILE_WIDTH) -> widgets.Image:
    return widgets.Image(value=png, format="png", layout=widgets.Layout(width=width))


def _styled(text: str, color: str = "black", size: int = 16, bold: bool = False) -> str:
    """HTML for a label in a given colour and size: large enough for a projector."""
    weight = "bold" if bold else "normal"
    return f'<span style="color:{color}; font-size:{size}px; font-weight:{weight}">{text}</span>'


def _html(text: str, color: str = "black", size: int = 16, bold: bool = False) -> widgets.HTML:
    return widgets.HTML(_styled(text, color, size, bold))


class _TimedExplorer(widgets.VBox):
    """A VBox that redraws on every control change and keeps how long the last redraw took."""

    last_redraw_s = float("nan")

    def redraw(self) -> None:
        """Recompute and redraw everything shown; ``last_redraw_s`` keeps how long it took."""
        start = time.perf_counter()
        # One thread: on a busy machine waking idle threads costs tens of ms, more than
        # the small convolution itself.
        with using_threads(1):
            self._draw()
        self.last_redraw_s = time.perf_counter() - start

    def _draw(self) -> None:  # pragma: no cover - each explorer draws its own
        raise NotImplementedError


def time_control(explorer: _TimedExplorer, control, values) -> list[float]:
    """Set ``control`` to each of ``values`` as a student would; the redraw seconds of each.

    The control is put back to its old value afterwards. This is how the
    notebooks and the tests measure that a widget redraws in under 0.1 s
    (notebooks 01-02).
    """
    old = control.value
    seconds = []
    for value in values:
        if value == control.value:
            continue  # an unchanged value fires no callback
        control.value = value
        seconds.append(explorer.last_redraw_s)
    control.value = old
    return seconds


class KernelExplorer(_TimedExplorer):
    """Pick a kernel for each channel and a kernel size; see each channel's depthwise map.

    ``kernel_menus`` (one Dropdown per channel) and ``size_buttons`` are the
    controls; ``weight`` and ``maps`` hold what is shown, so code can check it.
    The maps are never summed, except in the tile on the right that shows what
    a standard conv would make of them. Notebook 01.
    """

    def __init__(self, image: torch.Tensor, kernel_names=EXAMPLE_KERNELS, size: int = 3):
        self.image = image.detach().float().cpu()
        channels = self.image.shape[0]
        if len(kernel_names) != channels:
            raise ValueError(f"need one kernel name per channel: {channels} channels, "
                             f"got {len(kernel_names)} names")
        self.size_buttons = widgets.ToggleButtons(options=list(KERNEL_SIZES), value=size,
                                                  description="kernel size")
        self.kernel_menus = [widgets.Dropdown(options=list(KERNEL_NAMES), value=name,
                                              layout=widgets.Layout(width="140px"))
                             for name in kernel_names]
        self.kernel_tiles = [_tile(width="90px") for _ in range(channels)]
        self.map_tiles = [_tile() for _ in range(channels)]
        self.map_captions = [widgets.HTML() for _ in range(channels)]
        self.sum_tile = _tile()
        rows = [self._channel_row(c) for c in range(channels)]
        depthwise, standard = COLORS["depthwise"], COLORS["standard"]
        total = widgets.VBox([_html("a standard conv would", standard),
                              _html("add them up:", standard), self.sum_tile],
                             layout=widgets.Layout(justify_content="center", margin="0 0 0 30px"))
        header = _html("Depthwise step: one kernel per channel, one map per channel, no sum",
                       depthwise, size=18, bold=True)
        legend = _html("red = positive, blue = negative, white = 0; each map on its own colour scale",
                       size=14)
        super().__init__([header, legend, self.size_buttons,
                          widgets.HBox([widgets.VBox(rows), total])])
        for control in [self.size_buttons, *self.kernel_menus]:
            control.observe(lambda _change: self.redraw(), names="value")
        self.redraw()

    def _channel_row(self, c: int) -> widgets.HBox:
        name, color = CHANNEL_NAMES[c % 3], CHANNEL_COLORS[c % 3]
        channel = png_tile(self.image[c], CHANNEL_CMAPS[c % 3], 0.0, 1.0)
        menu = widgets.VBox([_html(f"kernel for {name}", color), self.kernel_menus[c]])
        output = widgets.VBox([self.map_captions[c], self.map_tiles[c]])
        return widgets.HBox([_html(name, color, size=22, bold=True), _tile(channel), menu,
                             self.kernel_tiles[c], _html("&rarr;", color, size=26), output],
                            layout=widgets.Layout(align_items="center"))

    @property
    def kernel_names(self) -> tuple[str, ...]:
        return tuple(menu.value for menu in self.kernel_menus)

    def _draw(self) -> None:
        self.weight = depthwise_weight(self.kernel_names, self.size_buttons.value)
        with torch.no_grad():
            self.maps = torch.nn.functional.conv2d(self.image[None], self.weight,
                                                   groups=self.image.shape[0])[0]
        for c, (kernel_tile, map_tile) in enumerate(zip(self.kernel_tiles, self.map_tiles)):
            kernel_tile.value = _kernel_png(self.weight[c, 0])
            map_tile.value = _signed_png(self.maps[c])
            self.map_captions[c].value = _styled(
                f"{CHANNEL_NAMES[c % 3]} &#8902; {self.kernel_names[c]}", CHANNEL_COLORS[c % 3])
        self.sum_tile.value = _signed_png(self.maps.sum(0))

    def __repr__(self) -> str:  # the widget's text form: short, and the same on every run
        return f"KernelExplorer(kernels={self.kernel_names}, size={self.size_buttons.value})"


def kernel_explorer(image: torch.Tensor, kernel_names=EXAMPLE_KERNELS, size: int = 3) -> KernelExplorer:
    """The notebook 01 widget: a kernel menu per channel and a kernel size; maps redraw at once."""
    return KernelExplorer(image, kernel_names, size)


class MixingExplorer(_TimedExplorer):
    """Sliders for the N x M weights of a 1x1 conv; the N output maps redraw as they move.

    ``sliders[n][c]`` is P[n, c]; ``outputs`` holds what is shown. All maps
    share one colour scale, set by the strongest input map, so doubling a
    weight visibly doubles its share (and may saturate). The preset
    buttons set every weight at once: "identity" passes the maps through,
    "sum" gives every output the standard conv's sum, "random" draws new
    weights. Notebook 02.
    """

    def __init__(self, maps: torch.Tensor, weights=None, input_titles=None):
        self.maps = maps.detach().float().cpu()
        self.color_limit = float(self.maps.abs().max()) or 1.0
        m = self.maps.shape[0]
        weights = torch.eye(m) if weights is None else torch.as_tensor(weights, dtype=torch.float32)
        n = weights.shape[0]
        titles = input_titles or [f"map {c}" for c in range(m)]
        self.sliders = [[widgets.FloatSlider(value=float(weights[o, c]), min=-2.0, max=2.0,
                                             step=0.1, readout_format=".1f",
                                             description=f"x {CHANNEL_NAMES[c % 3]}",
                                             style={"description_width": "30px"},
                                             layout=widgets.Layout(width="230px"))
                         for c in range(m)] for o in range(n)]
        self.output_tiles = [_tile() for _ in range(n)]
        self.preset_buttons = [widgets.Button(description=name) for name in ("identity", "sum", "random")]
        self._random_draws = 0
        self._holding = False

        inputs = widgets.HBox([widgets.VBox([_html(titles[c], CHANNEL_COLORS[c % 3]),
                                             _tile(_signed_png(self.maps[c], self.color_limit))])
                               for c in range(m)])
        pointwise = COLORS["pointwise"]
        rows = [widgets.HBox([_html(f"output {o} =", pointwise, bold=True), *self.sliders[o],
                              _html("&rarr;", pointwise, size=26), self.output_tiles[o]],
                             layout=widgets.Layout(align_items="center"))
                for o in range(n)]
        header = _html("Pointwise step: every output pixel = weights &middot; that pixel's "
                       "channel values", pointwise, size=18, bold=True)
        presets = widgets.HBox([_html("set all weights:"), *self.preset_buttons,
                                _html("&nbsp; one colour scale for all maps (white = 0)", size=14)])
        super().__init__([header, inputs, presets, *rows])
        for o, row in enumerate(self.sliders):
            for slider in row:
                slider.observe(lambda _change, o=o: self._on_slider(o), names="value")
        for button in self.preset_buttons:
            button.on_click(self._on_preset)
        self._rows_to_draw = range(n)
        self.redraw()

    @property
    def weights(self) -> torch.Tensor:
        """The N x M weights the sliders show."""
        return torch.tensor([[s.value for s in row] for row in self.sliders])

    def _on_slider(self, row: int) -> None:
        if not self._holding:  # a preset moves many sliders, then redraws once
            self._rows_to_draw = [row]  # only that output depends on the moved weight
            self.redraw()

    def _on_preset(self, button) -> None:
        n, m = len(self.sliders), self.maps.shape[0]
        if button.description == "identity":
            values = torch.eye(n, m)
        elif button.description == "sum":
            values = torch.ones(n, m)
        else:
            self._random_draws += 1
            generator = torch.Generator().manual_seed(self._random_draws)
            values = (torch.randn(n, m, generator=generator) * 10).round().clamp(-20, 20) / 10
        self.set_weights(values)

    def set_weights(self, values) -> None:
        """Move every slider to ``values`` (N x M), then redraw once."""
        self._holding = True
        try:
            for row, row_values in zip(self.sliders, torch.as_tensor(values).tolist()):
                for slider, value in zip(row, row_values):
                    slider.value = value
        finally:
            self._holding = False
        self._rows_to_draw = range(len(self.sliders))
        self.redraw()

    def _draw(self) -> None:
        self.outputs = torch.einsum("nm,mhw->nhw", self.weights, self.maps)
        for o in self._rows_to_draw:
            self.output_tiles[o].value = _signed_png(self.outputs[o], self.color_limit)

    def __repr__(self) -> str:  # the widget's text form: short, and the same on every run
        return f"MixingExplorer(weights={self.weights.tolist()})"


def mixing_explorer(maps: torch.Tensor, weights=None, input_titles=None) -> MixingExplorer:
    """The notebook 02 widget: one slider per 1x1 weight (N outputs x M inputs), outputs redraw."""
    return MixingExplorer(maps, weights, input_titles)


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
