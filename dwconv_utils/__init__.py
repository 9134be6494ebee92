"""Helpers for the depthwise separable convolution notebooks.

One module per idea (the README's "What is here" lists them all):
``layers`` (the separable layer, the closest separable layer), ``init``
(the seed's and a per-group Xavier), ``models`` (the seed's reference CNN,
MobileNetV1), ``cost`` (formulas and an exact per-layer counter), ``counters`` (what other FLOP counters report), ``paper``
(the MobileNets paper's numbers), ``data`` (Fashion-MNIST, found offline
first and verified), ``history`` and ``train`` (fit, evaluate, weights),
``progress`` (live training display), ``results``, ``seeds``, ``verdict`` and
``experiments`` (notebook 04's long runs), ``race`` (its 90-second race), ``bench``, ``timing`` and ``speed``
(time against FLOPs), ``plots`` and ``widgets`` (one module per topic inside),
``tracer`` (one output value
traced by hand) and ``groups`` (from standard to depthwise), ``images``, ``exercises``, ``style``, ``device``, ``notebook`` (first-cell
setup), ``tables``, ``checks`` and ``files``. The commands live in
``__main__``: ``python -m dwconv_utils data | train | bench | race | experiments``.
"""
from .cost import (ConvCosts, CostTable, compare_costs, conv_costs, conv_output_size, cost_ratio,
                   cost_table, depthwise_conv_macs, depthwise_conv_params, flop_counter_macs,
                   formula_check, param_ratio, pointwise_conv_macs, pointwise_conv_params,
                   separable_conv_macs, separable_conv_params, standard_conv_macs,
                   standard_conv_params)
from .data import (CLASSES, MEAN, STD, DataCorruptError, DataUnavailableError, FashionMNIST,
                   fashion_mnist_tensors, load_fashion_mnist)
from .device import pick_device
from .history import EpochStats, History
from .init import INITS, init_weights
from .layers import DepthWiseConv2d, DepthwiseSeparableConv2d, to_standard_conv
from .models import ReferenceCNN, mobilenet_v1, parameter_table
from .paper import MOBILENET_PAPER, compare_with_paper
from .timing import measure
from .train import TrainingDiverged, evaluate, fit, load_weights, save_weights

__version__ = "0.1.0"

__all__ = [
    "CLASSES", "ConvCosts", "CostTable", "DataCorruptError", "DataUnavailableError",
    "DepthWiseConv2d", "DepthwiseSeparableConv2d", "EpochStats", "FashionMNIST", "History",
    "INITS", "MEAN", "MOBILENET_PAPER", "ReferenceCNN", "STD", "TrainingDiverged",
    "compare_costs", "compare_with_paper", "conv_costs", "conv_output_size", "cost_ratio",
    "cost_table", "depthwise_conv_macs", "depthwise_conv_params", "evaluate",
    "fashion_mnist_tensors", "fit", "flop_counter_macs", "formula_check", "init_weights",
    "load_fashion_mnist", "load_weights", "measure", "mobilenet_v1", "param_ratio",
    "parameter_table", "pick_device", "pointwise_conv_macs", "pointwise_conv_params",
    "save_weights", "separable_conv_macs", "separable_conv_params", "standard_conv_macs",
    "standard_conv_params", "to_standard_conv",
]
