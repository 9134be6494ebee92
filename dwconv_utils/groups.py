"""From standard to depthwise along one axis, ``groups``: which inputs each output sees, the
weight shape and the cost, and what a 1x1 pointwise step after it restores (notebook 01).

``grouped_conv(M, N, Dk, DF, groups)`` describes one layer; ``groups=1`` is the standard
conv, ``groups=M`` the depthwise step, anything in between a grouped conv (as in AlexNet and
ResNeXt). The counts come from ``cost``'s formulas; the tests check them against ``nn.Conv2d``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from . import checks
from .cost import (check_groups, group_choices, grouped_conv_macs, grouped_conv_params, kind_of,
                   pointwise_conv_macs, pointwise_conv_params)


@dataclass(frozen=True)
class GroupedConv:
    """A Dk x Dk conv from M to N channels on a DF x DF output map, split into ``groups``."""

    M: int
    N: int
    Dk: int
    DF: int
    groups: int

    @property
    def kind(self) -> str:
        """'standard', 'grouped' or 'depthwise' (``cost.kind_of``)."""
        return kind_of(self.groups, self.M, self.Dk)

    @property
    def inputs_per_output(self) -> int:
        return self.M // self.groups

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        """``nn.Conv2d``'s weight shape: (N, M/groups, Dk, Dk)."""
        return self.N, self.inputs_per_output, self.Dk, self.Dk

    @property
    def params(self) -> int:
        return grouped_conv_params(self.Dk, self.M, self.N, self.groups)

    @property
    def mult_adds(self) -> int:
        return grouped_conv_macs(self.Dk, self.M, self.N, self.DF, self.groups)

    @property
    def connections(self) -> torch.Tensor:
        """(N, M) booleans: output o sees input c when both are in the same group (blocks on the
        diagonal; all True for groups=1, one input per output for groups=M)."""
        outputs = torch.arange(self.N) // (self.N // self.groups)
        inputs = torch.arange(self.M) // self.inputs_per_output
        return outputs[:, None] == inputs[None, :]

    @property
    def pointwise_params(self) -> int:
        """A 1x1 pointwise step from the N outputs to N channels after it: N·N weights."""
        return pointwise_conv_params(self.N, self.N)

    @property
    def pointwise_mult_adds(self) -> int:
        return pointwise_conv_macs(self.N, self.N, self.DF)

    @property
    def connections_with_pointwise(self) -> torch.Tensor:
        """Who sees whom after the 1x1 step too: every output reaches every input again, as long
        as each input reaches some output (always, for a conv)."""
        return (torch.ones(self.N, self.N, dtype=torch.int64) @ self.connections.long()) > 0


def grouped_conv(M: int, N: int, Dk: int, DF: int, groups: int) -> GroupedConv:
    """Check the sizes (``groups`` must divide M and N: ``cost.group_choices`` lists the allowed
    values) and describe the layer."""
    M, N, Dk, DF = (checks.positive_int(name, v) for name, v in (("M", M), ("N", N), ("Dk", Dk), ("DF", DF)))
    return GroupedConv(M, N, Dk, DF, check_groups(M, N, groups))


__all__ = ["GroupedConv", "grouped_conv", "group_choices"]
