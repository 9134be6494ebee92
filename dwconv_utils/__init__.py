"""Helpers for the depthwise separable convolution notebooks.

One module per idea: ``layers`` (the separable layer), ``models`` (the
seed's reference CNN, MobileNetV1), ``cost`` (formulas and an exact
per-layer counter), ``tables`` (text/HTML tables).
"""
from .cost import (conv_output_size, cost_ratio, cost_table, CostTable,
                   depthwise_conv_macs, depthwise_conv_params, param_ratio,
                   pointwise_conv_macs, pointwise_conv_params, separable_conv_macs,
                   separable_conv_params, standard_conv_macs, standard_conv_params)
from .layers import DepthwiseSeparableConv2d, DepthWiseConv2d, to_standard_conv
from .cost import compare_costs, flop_counter_macs, formula_check  # notebook 03
from .paper import MOBILENET_PAPER, compare_with_paper  # notebook 03
from .models import ReferenceCNN, mobilenet_v1, parameter_table

__version__ = "0.1.0"
