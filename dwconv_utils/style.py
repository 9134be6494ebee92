"""One look for every figure: projector-sized fonts, white background, fixed colours.

The same concept has the same colour in every notebook: standard convolution
blue, separable orange, depthwise green, pointwise purple, grouped cyan.
"""
from __future__ import annotations

import matplotlib as mpl

COLORS = {
    "standard": "#1f77b4",
    "separable": "#ff7f0e",
    "depthwise": "#2ca02c",
    "pointwise": "#9467bd",
    "grouped": "#17becf",
    "linear": "#7f7f7f",
    "other": "#bcbd22",
}
# Input channels of an RGB image, drawn in their own colour.
CHANNEL_COLORS = ("#d62728", "#2ca02c", "#1f77b4")
CHANNEL_CMAPS = ("Reds", "Greens", "Blues")
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
                                         "#d62728", "#8c564b"]),
}


def apply_style() -> None:
    """Set matplotlib's defaults for this collection (called by every notebook's first cell)."""
    mpl.rcParams.update(_RC)


def color_for(kind: str) -> str:
    """The colour of a layer or model kind ("standard", "depthwise", ...); grey-green if unknown."""
    return COLORS.get(kind, COLORS["other"])
