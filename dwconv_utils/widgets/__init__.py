"""Interactive explorers (ipywidgets) for lectures, one module per topic.

- ``base``: ``Explorer``, the base of every explorer: ``redraw()`` times each
  redraw into ``redraw_seconds`` (``last_redraw_seconds`` is the latest);
  ``time_control``; shared helpers (PNG tiles, stop sliders, slider stops).
- ``feature_maps``: notebooks 01-02, ``KernelExplorer`` (a kernel per channel)
  and ``MixingExplorer`` (the 1x1 weights).
- ``tracer``: notebooks 01-02, ``DepthwiseTracer`` and ``SeparableTracer`` (one output value,
  its window, products and sum, a sweep; the multiplications counted) and ``GroupsExplorer``
  (``groups`` from standard to depthwise).
- ``cost``: notebook 03, ``CostExplorer`` (mult-adds, parameters, cost bars).
- ``speed``: notebook 05, ``SpeedExplorer`` (FLOP ratio beside measured time).
- ``budget``: notebook 06, ``BudgetExplorer`` (the best model of each family within a budget).

Works with ipywidgets 7.7 (Colab) and 8 (JupyterLab): only APIs common to
both. Callbacks that only recompute formulas must redraw in well under 0.1 s;
expensive ones use ``continuous_update=False``.
"""
from .base import (CHANNEL_STOPS, MAP_SIZE_STOPS, WIDE_LABEL, Explorer, png_bytes, png_tile,
                   stop_slider, time_control)
from .budget import BudgetExplorer, budget_explorer
from .cost import MAX_KERNEL, CostExplorer, cost_explorer
from .feature_maps import (KERNEL_PIXELS, KERNEL_SIZES, TILE_WIDTH, KernelExplorer, MixingExplorer,
                           kernel_explorer, mixing_explorer)
from .tracer import (CELL_PIXELS, PLAY_INTERVAL_MS, TRACER_DOWNSAMPLE, DepthwiseTracer, GroupsExplorer,
                     SeparableTracer, depthwise_tracer, grid_png, groups_explorer, number_grid,
                     separable_tracer, tracer_image)
from .speed import (BATCH_STOPS, KERNEL_STOPS, MAX_MEASURED_MACS, MAX_MEASURED_VALUES, SpeedExplorer,
                    speed_explorer)

__all__ = [
    "Explorer", "time_control", "png_tile", "png_bytes", "stop_slider",
    "CHANNEL_STOPS", "MAP_SIZE_STOPS", "WIDE_LABEL",
    "KernelExplorer", "kernel_explorer", "MixingExplorer", "mixing_explorer",
    "KERNEL_SIZES", "KERNEL_PIXELS", "TILE_WIDTH",
    "CostExplorer", "cost_explorer", "MAX_KERNEL",
    "SpeedExplorer", "speed_explorer", "KERNEL_STOPS", "BATCH_STOPS",
    "MAX_MEASURED_MACS", "MAX_MEASURED_VALUES",
    "BudgetExplorer", "budget_explorer",
    "DepthwiseTracer", "depthwise_tracer", "SeparableTracer", "separable_tracer", "GroupsExplorer",
    "groups_explorer", "tracer_image", "grid_png", "number_grid", "TRACER_DOWNSAMPLE", "CELL_PIXELS",
    "PLAY_INTERVAL_MS",
]
