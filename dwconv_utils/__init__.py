"""Helpers for the depthwise separable convolution notebooks.

One module per idea: ``layers`` (the separable layer), ``models`` (the
seed's reference CNN, MobileNetV1), ``cost`` (formulas and an exact
per-layer counter), ``data`` (Fashion-MNIST, found offline first and
verified), ``train`` (fit, evaluate, History), ``bench`` (training
throughput), ``timing`` (careful timers), ``speed`` (time per layer beside
FLOPs, arithmetic intensity), ``paper`` (the MobileNets paper's numbers),
``images`` (sample photo, hand-made kernels), ``low_rank`` (closest separable
layer), ``exercises`` (answer checks), ``plots``, ``widgets``, ``style``,
``device``, ``notebook`` (first-cell setup), ``tables`` (text/HTML tables).
"""
from .cost import (conv_output_size, cost_ratio, cost_table, CostTable,
                   depthwise_conv_macs, depthwise_conv_params, param_ratio,
                   pointwise_conv_macs, pointwise_conv_params, separable_conv_macs,
                   separable_conv_params, standard_conv_params, standard_conv_macs)
from .device import pick_device
from .layers import DepthwiseSeparableConv2d, DepthWiseConv2d, to_standard_conv
from .cost import compare_costs, flop_counter_macs, formula_check  # notebook 03
from .paper import MOBILENET_PAPER, compare_with_paper  # notebook 03
from .models import ReferenceCNN, mobilenet_v1, parameter_table
from .timing import measure

__version__ = "0.1.0"

# Modules that can also run as commands (`python -m dwconv_utils.data`) are
# imported on first use: importing them here would make runpy load them twice.
_LAZY = {
    "data": ("CLASSES", "MEAN", "STD", "DataCorruptError", "DataUnavailableError",
             "FashionMNIST", "fashion_mnist_tensors", "load_fashion_mnist"),
    "train": ("History", "TrainingDiverged", "evaluate", "fit", "load_weights"),
}
_LAZY_NAMES = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name):
    if name in _LAZY_NAMES:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY_NAMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_NAMES))
