"""The explorers of notebooks 01-02: a kernel per channel (depthwise), 1x1 mixing weights (pointwise).

Both draw their maps as PNG tiles (no figure), on one thread, so that a
redraw takes milliseconds.
"""
from __future__ import annotations

import ipywidgets as widgets
import torch

from ..images import CHANNEL_NAMES, EXAMPLE_KERNELS, KERNEL_NAMES, depthwise_weight
from ..style import CHANNEL_CMAPS, CHANNEL_COLORS, COLORS, DIVERGING_CMAP
from .base import Explorer, png_tile, styled

TILE_WIDTH = "170px"   # one feature map on screen
KERNEL_PIXELS = 72     # kernels are blown up to about this many pixels, cells kept sharp
KERNEL_SIZES = (3, 5, 7, 9)


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


def _html(text: str, color: str = "black", size: int = 16, bold: bool = False) -> widgets.HTML:
    return widgets.HTML(styled(text, color, size, bold))


class KernelExplorer(Explorer):
    """Pick a kernel for each channel and a kernel size; see each channel's depthwise map.

    ``kernel_menus`` (one Dropdown per channel) and ``size_buttons`` are the
    controls; ``weight`` and ``maps`` hold what is shown, so code can check it.
    The maps are never summed, except in the tile on the right that shows what
    a standard conv would make of them. Notebook 01.
    """

    draws_on_one_thread = True

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
        self.redraw_on_change([self.size_buttons, *self.kernel_menus])
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
            self.map_captions[c].value = styled(
                f"{CHANNEL_NAMES[c % 3]} &#8902; {self.kernel_names[c]}", CHANNEL_COLORS[c % 3])
        self.sum_tile.value = _signed_png(self.maps.sum(0))

    def __repr__(self) -> str:  # the widget's text form: short, and the same on every run
        return f"KernelExplorer(kernels={self.kernel_names}, size={self.size_buttons.value})"


def kernel_explorer(image: torch.Tensor, kernel_names=EXAMPLE_KERNELS, size: int = 3) -> KernelExplorer:
    """The notebook 01 widget: a kernel menu per channel and a kernel size; maps redraw at once."""
    return KernelExplorer(image, kernel_names, size)


class MixingExplorer(Explorer):
    """Sliders for the N x M weights of a 1x1 conv; the N output maps redraw as they move.

    ``sliders[n][c]`` is P[n, c]; ``outputs`` holds what is shown. All maps
    share one colour scale, set by the strongest input map, so doubling a
    weight visibly doubles its share (and may saturate). The preset
    buttons set every weight at once: "identity" passes the maps through,
    "sum" gives every output the standard conv's sum, "random" draws new
    weights. Notebook 02.
    """

    draws_on_one_thread = True

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
