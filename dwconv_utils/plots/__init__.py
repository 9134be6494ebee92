"""Figures for the notebooks, in the collection's style (``style.py``).

Each ``plot_*`` function draws one kind of figure and returns the matplotlib Figure.
One module per topic, all re-exported here (``from dwconv_utils.plots import plot_roofline``):

- ``feature_maps``: notebooks 01-02, channels, depthwise maps, pointwise mixing, kernel and
  map grids, the closest separable layer's error against its weights;
- ``cost``: notebook 03, the cost ratio against the channels, cost by layer pair and by block;
- ``training``: notebook 04, training curves, the data, results over seeds, mistakes;
- ``speed``: notebook 05, time shares, time by block, the roofline, batch size and memory format;
- ``budget``: notebook 06, accuracy against parameters and mult-adds for two families of widths;
- ``tracer``: notebooks 01-02, one output value traced (depthwise, separable), the sliding
  window as a strip of frames, the groups axis from standard to depthwise;
- ``drawing``: the helpers the others share (arrays, colour limits, bare axes, signed maps,
  kernels with their weights written in, arrows, stacked bars).
"""
from .blocks import plot_block_ops
from .budget import plot_budget_families
from .cost import plot_cost_by_block, plot_cost_by_layer_pair, plot_cost_ratio_vs_channels
from .drawing import MAP_INCHES, symmetric_limit
from .feature_maps import (plot_channel_rows, plot_channels, plot_kernel_grids, plot_map_grid,
                           plot_pointwise_mixing, plot_rank_tradeoff)
from .speed import plot_roofline, plot_speed_settings, plot_time_by_block, plot_time_shares
from .tracer import (plot_groups, plot_pixel_trace, plot_separable_trace, plot_sliding_window,
                     sweep_positions)
from .training import (plot_class_examples, plot_confident_mistakes, plot_confusion_matrix,
                       plot_first_steps, plot_histories, plot_protocol_curves, plot_race, plot_seed_bands,
                       plot_signal_spread)

__all__ = [
    "MAP_INCHES", "symmetric_limit",
    "plot_channels", "plot_channel_rows", "plot_pointwise_mixing", "plot_kernel_grids",
    "plot_map_grid", "plot_rank_tradeoff",
    "plot_cost_ratio_vs_channels", "plot_cost_by_layer_pair", "plot_cost_by_block",
    "plot_histories", "plot_class_examples", "plot_seed_bands", "plot_first_steps",
    "plot_confusion_matrix", "plot_confident_mistakes", "plot_signal_spread", "plot_race",
    "plot_protocol_curves", "plot_block_ops",
    "plot_time_shares", "plot_time_by_block", "plot_roofline", "plot_speed_settings",
    "plot_budget_families",
    "plot_pixel_trace", "plot_separable_trace", "plot_sliding_window", "sweep_positions", "plot_groups",
]
