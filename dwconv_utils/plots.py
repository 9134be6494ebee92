"""Figures for the notebooks, in the collection's style (``style.py``).

Each function draws one kind of figure and returns the matplotlib Figure.
"""
from __future__ import annotations

import matplotlib.pyplot as plt

from .style import COLORS, apply_style, color_for  # noqa: F401  (shared by every section)


# --- Notebooks 01-02: channels, depthwise maps, pointwise mixing ---------------





# --- Notebook 03: cost ratio and where the cost goes ---------------------------





# --- Notebooks 04-05: training curves, timings --------------------------------
