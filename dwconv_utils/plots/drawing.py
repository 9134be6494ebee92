"""Drawing helpers shared by the figure modules: arrays, colour limits, bare axes, signed maps,
kernels with their weights written in, arrows between axes, stacked bars."""
from __future__ import annotations

import numpy as np
import torch
from matplotlib.patches import ConnectionPatch

from ..style import DIVERGING_CMAP, color_for

MAP_INCHES = 2.4  # height of one feature map: three rows fill a slide


def as_array(values) -> np.ndarray:
    """A tensor (detached, on the CPU) or anything array-like as a NumPy array."""
    return values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)


def symmetric_limit(values) -> float:
    """The colour limit that puts zero at the centre of the diverging colour map (notebooks 01-02)."""
    limit = float(np.abs(as_array(values)).max())
    return limit if limit > 0 else 1.0


def bare_axes(ax, title: str = "", color: str = "black") -> None:
    """No ticks and no frame; an optional title in ``color``."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, color=color)


def show_signed(ax, values, title: str = "", color: str = "black", limit: float | None = None):
    """A signed map: white is zero, red positive, blue negative."""
    limit = symmetric_limit(values) if limit is None else limit
    # Nearest: pixels stay pixels, and the saved figure compresses to half the size.
    image = ax.imshow(as_array(values), cmap=DIVERGING_CMAP, vmin=-limit, vmax=limit,
                      interpolation="nearest")
    bare_axes(ax, title, color)
    return image


def _weight_text(weight: float) -> str:
    """A weight short enough to fit its cell: 2, -0.5, .06 (no "-0")."""
    weight = round(float(weight), 2) + 0.0
    if weight.is_integer():
        return str(int(weight))
    return f"{weight:.2f}".rstrip("0").replace("0.", ".", 1)


def write_weights(ax, values, limit: float, fontsize: float) -> None:
    """Write each weight in its cell, white on the dark cells so it stays readable."""
    for (row, col), weight in np.ndenumerate(values):
        ax.text(col, row, _weight_text(weight), ha="center", va="center", fontsize=fontsize,
                color="white" if abs(weight) > 0.6 * limit else "black")


def show_kernel(ax, kernel, title: str = "", color: str = "black", limit: float | None = None):
    """A small kernel with its weights written in, when they fit (up to 5 x 5)."""
    values = as_array(kernel)
    limit = symmetric_limit(values) if limit is None else limit
    show_signed(ax, values, title, color, limit)
    if values.shape[0] <= 5:
        write_weights(ax, values, limit, fontsize=12 if values.shape[0] <= 3 else 8)


def arrow(fig, ax_from, ax_to, color: str, downwards: bool = False) -> None:
    """An arrow from one axes to the next: right edge to left edge, or bottom to top."""
    start, end = ((0.5, -0.02), (0.5, 1.02)) if downwards else ((1.02, 0.5), (-0.02, 0.5))
    fig.add_artist(ConnectionPatch(xyA=start, coordsA=ax_from.transAxes,
                                   xyB=end, coordsB=ax_to.transAxes,
                                   arrowstyle="-|>", mutation_scale=22, lw=2, color=color))


def stacked_bars(ax, parts: dict[str, list[int]], scale: float) -> None:
    """Horizontal bars of several parts stacked end to end, each part in its kind's colour."""
    left = None
    for kind, values in parts.items():
        values = np.asarray(values, dtype=float) / scale
        left = np.zeros_like(values) if left is None else left
        ax.barh(np.arange(len(values)), values, left=left, color=color_for(kind), label=kind)
        left = left + values
