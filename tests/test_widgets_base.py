"""Every explorer derives from one base and keeps its redraw seconds the same way."""
import ast
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # this module only: the cost explorer draws off-screen

import pytest  # noqa: E402
import torch  # noqa: E402

import dwconv_utils.widgets as widgets_package  # noqa: E402
from dwconv_utils.widgets import (CostExplorer, Explorer, KernelExplorer, MixingExplorer,  # noqa: E402
                                  SpeedExplorer, cost_explorer, kernel_explorer, mixing_explorer,
                                  speed_explorer, time_control)


def small_kernels():
    return kernel_explorer(torch.rand(3, 16, 16)), lambda e: e.size_buttons, (5, 7)


def small_mixer():
    return mixing_explorer(torch.randn(3, 8, 8)), lambda e: e.sliders[0][1], (0.5, -1.0)


def small_costs():
    return cost_explorer(Dk=3, M=8, N=16, DF=7), lambda e: e.n, (32, 64)


def small_speed():  # tiny layers: each redraw times them for real
    return speed_explorer(Dk=3, M=8, N=8, DF=7, batch=1, repeats=1), lambda e: e.n, (16, 4)


BUILDS = [small_kernels, small_mixer, small_costs, small_speed]


def test_all_four_explorers_share_the_base():
    for cls in (KernelExplorer, MixingExplorer, CostExplorer, SpeedExplorer):
        assert issubclass(cls, Explorer)
    assert KernelExplorer.draws_on_one_thread and MixingExplorer.draws_on_one_thread
    assert not CostExplorer.draws_on_one_thread and not SpeedExplorer.draws_on_one_thread


@pytest.mark.parametrize("build", BUILDS, ids=lambda b: b.__name__)
def test_redraw_seconds_behave_the_same_on_every_explorer(build):
    explorer, control_of, values = build()
    control = control_of(explorer)
    assert len(explorer.redraw_seconds) == 1  # the first drawing, when built
    explorer.redraw()
    assert len(explorer.redraw_seconds) == 2
    control.value = values[0]
    assert len(explorer.redraw_seconds) == 3  # one control change, one redraw
    assert all(s > 0 for s in explorer.redraw_seconds)
    assert explorer.last_redraw_seconds == explorer.redraw_seconds[-1]
    seconds = time_control(explorer, control, values)  # values[0] is unchanged: no redraw
    assert len(seconds) == len(values) - 1 and control.value == values[0]
    assert seconds == explorer.redraw_seconds[3:-1]  # the last redraw put the control back
    for old_name in ("last_redraw_s", "measure_seconds"):
        assert not hasattr(explorer, old_name)


def test_before_any_redraw_the_last_seconds_are_nan_and_one_thread_is_kept():
    threads = []

    class Probe(Explorer):
        draws_on_one_thread = True

        def _draw(self):
            threads.append(torch.get_num_threads())

    probe = Probe()
    assert probe.redraw_seconds == [] and math.isnan(probe.last_redraw_seconds)
    before = torch.get_num_threads()
    probe.redraw()
    assert threads == [1] and torch.get_num_threads() == before
    assert probe.last_redraw_seconds == probe.redraw_seconds[0] >= 0


def test_no_module_of_the_package_imports_a_private_name_from_another():
    for path in Path(widgets_package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                private = [alias.name for alias in node.names if alias.name.startswith("_")]
                assert not private, f"{path.name} imports {private} from .{node.module}"


def test_every_explorer_carries_a_static_picture_for_readers_without_widgets():
    from dwconv_utils.widgets import depthwise_tracer, groups_explorer
    from dwconv_utils.widgets.base import STATIC_NOTE, static_view

    tracer = depthwise_tracer()
    bundle = tracer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and bundle["text/plain"] == repr(tracer)
    html = bundle["text/html"]
    assert STATIC_NOTE in html and html.count("<img") == 7        # 3 inputs, 3 maps, the standard sum
    assert "row: <b>0</b>" in html and "stride: <b>1</b>" in html  # the controls as their values
    groups = groups_explorer()
    assert "groups: <b>1</b>" in static_view(groups)
    assert static_view(groups).count("<img") == 1                 # the pointwise matrix is hidden
