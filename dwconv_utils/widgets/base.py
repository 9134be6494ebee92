"""What every explorer shares: the base class with its redraw timing, and small helpers.

``Explorer`` is a VBox that redraws when a control changes; ``redraw()`` times
the subclass's ``_draw()`` and appends the seconds to ``redraw_seconds``.
The helpers (PNG tiles, stop sliders, slider stops, label style) are used by
more than one of the topic modules, so they are public here.
"""
from __future__ import annotations

import base64
import contextlib
import functools
import html
import io
import math
import time

import ipywidgets as widgets
import matplotlib
import numpy as np
import torch
from PIL import Image as PILImage  # pillow comes with matplotlib

from ..timing import using_threads

# Slider stops: channels on a log scale (powers of two up to 2048); map sizes
# that occur in MobileNet (224 ... 7) and in the seed's CNN (28, 14, 7, 3).
CHANNEL_STOPS = tuple(2 ** e for e in range(12))
MAP_SIZE_STOPS = (1, 3, 7, 14, 28, 56, 112, 224)
WIDE_LABEL = {"description_width": "130px"}  # room for "N (out channels)"


class Explorer(widgets.VBox):
    """A VBox that redraws what it shows when a control changes, and times every redraw.

    A subclass draws in ``_draw()`` and calls ``redraw()`` (never ``_draw()``):
    each redraw's duration in seconds is appended to ``redraw_seconds``, and
    ``last_redraw_seconds`` is the latest (nan before any). With
    ``draws_on_one_thread`` set, the drawing runs on one PyTorch thread.
    """

    # One thread: on a busy machine waking idle threads costs tens of ms, more than
    # a small convolution itself. Explorers that measure speed keep every thread.
    draws_on_one_thread = False

    def __init__(self, children=(), **kwargs):
        super().__init__(list(children), **kwargs)
        self.redraw_seconds: list[float] = []

    def redraw(self) -> None:
        """Recompute and redraw everything shown; its duration goes to ``redraw_seconds``."""
        start = time.perf_counter()
        with using_threads(1) if self.draws_on_one_thread else contextlib.nullcontext():
            self._draw()
        self.redraw_seconds.append(time.perf_counter() - start)

    @property
    def last_redraw_seconds(self) -> float:
        """How long the latest redraw took, in seconds (nan before the first)."""
        return self.redraw_seconds[-1] if self.redraw_seconds else math.nan

    def redraw_on_change(self, controls) -> None:
        """Redraw whenever the value of one of ``controls`` changes."""
        for control in controls:
            control.observe(lambda _change: self.redraw(), names="value")

    def _draw(self) -> None:  # pragma: no cover - each explorer draws its own
        raise NotImplementedError

    # A static picture beside the live widget: GitHub, nbviewer and the slides cannot run
    # widgets, so they show this HTML (the same tiles and text, the controls as their values);
    # JupyterLab and Colab show the widget itself.
    def _repr_mimebundle_(self, **kwargs):
        parent = getattr(super(), "_repr_mimebundle_", None)
        bundle = parent(**kwargs) if parent is not None else {
            "text/plain": repr(self),
            "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                         "model_id": self.model_id}}
        bundle["text/html"] = static_view(self)
        return bundle

    def _ipython_display_(self, **kwargs):  # ipywidgets 7 displays widgets through this hook
        from IPython.display import display
        display(self._repr_mimebundle_(), raw=True)


STATIC_NOTE = "A picture of this widget as it started: run the notebook to move its controls."


def _static(widget) -> str:
    """One widget as plain HTML: boxes as flex rows and columns, images inline, controls as
    "description: value"."""
    if isinstance(widget, widgets.Box):
        direction = "column" if isinstance(widget, widgets.VBox) else "row"
        inner = "".join(_static(child) for child in widget.children)
        return (f'<div style="display:flex; flex-direction:{direction}; gap:6px; align-items:'
                f'{"flex-start" if direction == "column" else "center"}">{inner}</div>')
    if isinstance(widget, widgets.HTML):
        return f"<div>{widget.value}</div>"
    if isinstance(widget, widgets.Image):
        if not widget.value:
            return ""
        width = widget.layout.width or "auto"
        encoded = base64.b64encode(widget.value).decode("ascii")
        return f'<img src="data:image/{widget.format};base64,{encoded}" style="width:{width}">'
    if isinstance(widget, widgets.Button):
        return (f'<span style="border:1px solid #999; border-radius:3px; padding:2px 8px">'
                f'{html.escape(widget.description)}</span>')
    if hasattr(widget, "value") and getattr(widget, "layout", None) is not None \
            and widget.layout.visibility != "hidden":
        shown = getattr(widget, "label", None)  # a selection's label; empty until it is synced
        shown = widget.value if shown in (None, "") else shown
        name = getattr(widget, "description", "")
        return (f'<span style="font-size:14px">{html.escape(name)}{": " if name else ""}'
                f'<b>{html.escape(str(shown))}</b></span>')
    return ""


def static_view(explorer: widgets.Widget) -> str:
    """The widget as static HTML (its tiles and text, its controls as values), with a note."""
    return (f'<div class="dwconv-static-view"><p style="font-style:italic; color:#555">{STATIC_NOTE}</p>'
            f"{_static(explorer)}</div>")


def time_control(explorer: Explorer, control, values) -> list[float]:
    """Set ``control`` to each of ``values`` as a student would; the redraw seconds of each.

    The control is put back to its old value afterwards. This is how the
    notebooks and ``tools/widget_redraws.py`` measure whether a widget redraws in
    under 0.1 s (notebooks 01-02; any explorer works).
    """
    old = control.value
    seconds = []
    for value in values:
        if value == control.value:
            continue  # an unchanged value fires no callback
        control.value = value
        seconds.append(explorer.last_redraw_seconds)
    control.value = old
    return seconds


def styled(text: str, color: str = "black", size: int = 16, bold: bool = False) -> str:
    """HTML for a label in a given colour and size: large enough for a projector."""
    weight = "bold" if bold else "normal"
    return f'<span style="color:{color}; font-size:{size}px; font-weight:{weight}">{text}</span>'


def stop_slider(description: str, value: int, stops: tuple[int, ...]) -> widgets.SelectionSlider:
    """A slider over fixed stops (a log scale for channels), showing the value itself."""
    if value not in stops:
        raise ValueError(f"{description.split()[0]} must be one of {', '.join(map(str, stops))}; "
                         f"got {value!r}")
    return widgets.SelectionSlider(options=list(stops), value=value, description=description,
                                   style=WIDE_LABEL)


# --- PNG images without a figure ------------------------------------------------

@functools.lru_cache(maxsize=None)
def colormap(name: str):
    return matplotlib.colormaps[name]  # a fresh copy each lookup, which rebuilds its table


def png_bytes(image: PILImage.Image) -> bytes:
    """A PIL image as PNG bytes, lightly compressed: encoding is most of a redraw's cost."""
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def blitted_png(figure, background, moving) -> bytes:
    """A figure as PNG from its kept background with only the ``moving`` artists drawn on top:
    text is what costs time in Agg, so the explorers' figures redraw in a few milliseconds."""
    canvas = figure.canvas
    canvas.restore_region(background)
    for artist in moving:
        artist.axes.draw_artist(artist)
    image = PILImage.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(),
                                "raw", "RGBA", 0, 1).convert("RGB")
    return png_bytes(image)


def png_tile(values, cmap: str, vmin: float, vmax: float) -> bytes:
    """A 2-D array as PNG bytes through a colour map: no figure, so a redraw costs milliseconds.

    Light compression: encoding is most of the cost, and the tiles are small.
    Used by the explorers of notebooks 01-02.
    """
    values = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    scaled = (values - vmin) / (vmax - vmin) if vmax > vmin else np.full(values.shape, 0.5)
    return png_bytes(PILImage.fromarray(colormap(cmap)(scaled, bytes=True)))
