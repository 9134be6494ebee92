"""Helpers for the depthwise separable convolution notebooks.

One module per idea: ``layers`` (the separable layer), ``models`` (the
seed's reference CNN, MobileNetV1), ``cost`` (formulas and an exact
per-layer counter), ``tables`` (text/HTML tables), ``data`` (Fashion-MNIST,
found offline first and verified).
"""
from .cost import (conv_output_size, cost_ratio, cost_table, CostTable,
                   depthwise_conv_macs, depthwise_conv_params, param_ratio,
                   pointwise_conv_macs, pointwise_conv_params, separable_conv_macs,
                   separable_conv_params, standard_conv_macs, standard_conv_params)
from .layers import DepthwiseSeparableConv2d, DepthWiseConv2d, to_standard_conv
from .models import ReferenceCNN, mobilenet_v1, parameter_table

__version__ = "0.1.0"

# The data names are imported on first use rather than here: a package that imports
# its submodule makes `python -m dwconv_utils.data` run that module twice (runpy warns).
_DATA_NAMES = ("CLASSES", "MEAN", "STD", "DataCorruptError", "DataUnavailableError",
               "FashionMNIST", "fashion_mnist_tensors", "load_fashion_mnist")


def __getattr__(name):
    if name in _DATA_NAMES:
        from . import data
        return getattr(data, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_DATA_NAMES))
