"""Interactive explorers (ipywidgets) for lectures.

Works with ipywidgets 7.7 (Colab) and 8 (JupyterLab): only APIs common to
both. Callbacks that only recompute formulas must redraw in well under 0.1 s;
expensive ones use ``continuous_update=False``.
"""
from __future__ import annotations


# --- Notebooks 01-02: kernels per channel, pointwise mixing weights -----------





# --- Notebook 03: cost explorer -----------------------------------------------





# --- Notebook 05: timing explorer ---------------------------------------------
