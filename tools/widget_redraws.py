"""How fast do the lecture widgets redraw here? ``python tools/widget_redraws.py``

Builds each explorer and tracer of notebooks 01-03 and 06 as the notebook does, moves every
control through its values as a lecturer would (each move runs the same
callback as dragging; ``time_control`` reads the seconds every explorer keeps
of each redraw), and prints the median and the slowest redraw. The goal is
under 0.1 s for every callback that only recomputes formulas. The
speed explorer of notebook 05 is not here: it measures layers on purpose and
redraws only when a slider is let go. Numbers are printed, never asserted;
run it on a quiet machine.
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dwconv_utils.budget import family_points, load_epoch_times  # noqa: E402
from dwconv_utils.images import KERNEL_NAMES, sample_image  # noqa: E402
from dwconv_utils.results import load_results  # noqa: E402
from dwconv_utils.layers import DepthwiseSeparableConv2d  # noqa: E402
from dwconv_utils.widgets import (CHANNEL_STOPS, KERNEL_SIZES, MAX_KERNEL,  # noqa: E402
                                  budget_explorer, cost_explorer, depthwise_tracer, groups_explorer,
                                  kernel_explorer, mixing_explorer, separable_tracer, time_control)

GOAL_S = 0.1


def main() -> int:
    image = sample_image()
    kernels = kernel_explorer(image)
    mixer = mixing_explorer(kernels.maps)
    tracer = depthwise_tracer()
    groups = groups_explorer()
    separable = separable_tracer(DepthwiseSeparableConv2d(3, 3, 3, bias=False))
    costs = cost_explorer()
    budgets = budget_explorer(family_points(load_results(), load_epoch_times()["epoch_seconds"]))
    rounds = 3  # every control through all its values, three times
    cases = {
        "01 kernel explorer: kernel menu": lambda: time_control(kernels, kernels.kernel_menus[0], KERNEL_NAMES),
        "01 kernel explorer: kernel size": lambda: time_control(kernels, kernels.size_buttons, KERNEL_SIZES[::-1]),
        "01 depthwise tracer: sweep (play)": lambda: time_control(tracer, tracer.position.play,
                                                                   range(tracer.position.play.max + 1)),
        "01 depthwise tracer: row": lambda: time_control(tracer, tracer.position.row, range(16)),
        "01 depthwise tracer: stride": lambda: time_control(tracer, tracer.stride_buttons, [2, 1]),
        "01 depthwise tracer: padding": lambda: time_control(tracer, tracer.padding_buttons, [1, 0]),
        "01 groups slider: groups": lambda: time_control(groups, groups.groups_slider, [2, 4, 8, 1]),
        "01 groups slider: pointwise": lambda: time_control(groups, groups.pointwise_box, [True, False]),
        "02 separable tracer: sweep (play)": lambda: time_control(separable, separable.position.play,
                                                                   range(separable.position.play.max + 1)),
        "02 separable tracer: output": lambda: time_control(separable, separable.channel_buttons, [1, 2, 0]),
        "02 mixing explorer: one weight": lambda: time_control(mixer, mixer.sliders[1][2],
                                                               [v / 10 for v in range(-20, 21)]),
        "03 cost explorer: Dk": lambda: time_control(costs, costs.dk, range(1, MAX_KERNEL + 1)),
        "03 cost explorer: N": lambda: time_control(costs, costs.n, CHANNEL_STOPS),
        "03 cost explorer: M": lambda: time_control(costs, costs.m, CHANNEL_STOPS),
        "06 budget explorer: budget": lambda: time_control(budgets, budgets.budget,
                                                           [v for _, v in budgets.budget.options]),
        "06 budget explorer: kind": lambda: time_control(budgets, budgets.kind, ["mult_adds", "params"]),
    }
    print(f"{'widget and control':38} {'moves':>5} {'median ms':>9} {'slowest ms':>10}  under {GOAL_S * 1000:.0f} ms?")
    for name, move in cases.items():
        seconds = [s for _ in range(rounds) for s in move()]
        median, slowest = statistics.median(seconds), max(seconds)
        verdict = "yes" if slowest < GOAL_S else ("median yes, slowest no" if median < GOAL_S else "NO")
        print(f"{name:38} {len(seconds):5} {1000 * median:9.1f} {1000 * slowest:10.1f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
