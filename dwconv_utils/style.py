"""One look for every figure: projector-sized fonts, white background, fixed colours.

The same concept has the same colour in every notebook: standard convolution
charcoal, separable orange, depthwise brown, pointwise purple, grouped pink. None of them
is the red, green or blue of an image's R, G and B channels, so a green title always means
channel G, never "depthwise".
"""
from __future__ import annotations

import matplotlib as mpl
from matplotlib.colors import LinearSegmentedColormap

COLORS = {
    "standard": "#333333",
    "separable": "#ff7f0e",
    "depthwise": "#a65628",
    "pointwise": "#9467bd",
    "grouped": "#e377c2",
    "transposed": "#17becf",
    "linear": "#a0a0a0",
    "functional": "#bcbd22",
    "other": "#bcbd22",
}
# Input channels of an RGB image, drawn in their own colour.
CHANNEL_COLORS = ("#d62728", "#2ca02c", "#1f77b4")
# Bright is bright: each channel runs from black (0) to its full colour (1), as a screen
# shows that channel alone.
CHANNEL_CMAPS = ("dwconv_R", "dwconv_G", "dwconv_B")
for _name, _color in zip(CHANNEL_CMAPS, CHANNEL_COLORS):
    if _name not in mpl.colormaps:
        mpl.colormaps.register(LinearSegmentedColormap.from_list(_name, ["#000000", _color]))
CHANNEL_LEGEND = "each channel from black (0) to its full colour (1): brighter = brighter in that channel"
# Signed feature maps: white is zero, so sign and size read at a glance.
DIVERGING_CMAP = "RdBu_r"

_RC = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "figure.dpi": 80,
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "legend.fontsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "axes.grid": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=[COLORS["standard"], COLORS["separable"],
                                         COLORS["depthwise"], COLORS["pointwise"],
                                         "#17becf", "#bcbd22"]),  # no channel red
}


def apply_style() -> None:
    """Set matplotlib's defaults for this collection (called by every notebook's first cell)."""
    mpl.rcParams.update(_RC)


def color_for(kind: str) -> str:
    """The colour of a layer or model kind ("standard", "depthwise", ...); grey-green if unknown."""
    return COLORS.get(kind, COLORS["other"])
