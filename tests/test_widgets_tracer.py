"""The tracers and the groups slider, driven through their controls: what they show is the
layer's own output and the cost formulas, they stay in step with the sweep, and they redraw fast."""
import matplotlib

matplotlib.use("Agg")
import io  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from dwconv_utils import DepthwiseSeparableConv2d, cost_table  # noqa: E402
from dwconv_utils.cost import group_choices  # noqa: E402
from dwconv_utils.widgets import (CELL_PIXELS, depthwise_tracer, grid_png, groups_explorer,  # noqa: E402
                                  separable_tracer, time_control, tracer_image)
from dwconv_utils.widgets.tracer import PADDING_CELL, UNFILLED  # noqa: E402



def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def cell_colour(png: bytes, row: int, col: int) -> tuple:
    """The colour at the centre of one cell of a grid_png tile."""
    half = CELL_PIXELS // 2
    return tuple(pixels(png)[row * CELL_PIXELS + half, col * CELL_PIXELS + half])


def test_grid_png_draws_cells_the_window_the_padding_and_the_unreached_cells():
    values = torch.zeros(5, 6)
    hidden = np.zeros((5, 6), dtype=bool)
    hidden[4, 5] = True
    png = grid_png(values, "Reds", 0.0, 1.0, box=(1, 2, 3, 3), hidden=hidden, padding=(1, 0, 0, 1))
    assert pixels(png).shape == (5 * CELL_PIXELS, 6 * CELL_PIXELS, 3)
    assert cell_colour(png, 0, 0) == PADDING_CELL and cell_colour(png, 2, 5) == PADDING_CELL
    assert cell_colour(png, 3, 4) != PADDING_CELL and cell_colour(png, 4, 5) != UNFILLED  # padding wins
    hidden_only = grid_png(values, "Reds", 0.0, 1.0, hidden=hidden)
    assert cell_colour(hidden_only, 4, 5) == UNFILLED and cell_colour(hidden_only, 4, 4) != UNFILLED
    top_left = (1 * CELL_PIXELS, 2 * CELL_PIXELS)
    assert tuple(pixels(png)[top_left]) == (0, 0, 0)  # the window's outline


def test_the_depthwise_tracer_shows_the_layers_output_and_its_products():
    tracer = depthwise_tracer()
    image = tracer_image()
    assert image.shape == (3, 18, 16)
    tracer.position.row.value, tracer.position.col.value = 6, 5
    with torch.no_grad():
        expected = tracer.depthwise(image[None])[0]
        standard = tracer.standard(image[None])[0, 0]
    trace = tracer.trace
    assert (trace.row, trace.col) == (6, 5) and trace.agrees
    for c, term in enumerate(trace.terms):
        assert abs(term.total - float(expected[c, 6, 5])) < 1e-5
        assert term.input_channels == (c,) and term.multiplications == 9
    assert abs(tracer.standard_trace.terms[0].total - float(standard[6, 5])) < 1e-5
    assert tracer.standard_trace.terms[0].multiplications == 27
    assert "&Sigma; = " in tracer.sums[0].value
    assert repr(tracer) == "DepthwiseTracer(position=(6, 5), stride=1, padding=0)"


def test_the_counter_states_the_formula_with_cost_tables_number():
    tracer = depthwise_tracer()
    total = cost_table(tracer.depthwise, (1, 3, 18, 16)).total_macs
    assert total == 9 * 3 * 16 * 14
    text = tracer.counter.value
    assert f"Dk²·M·DF² = 3²·3·(16·14) = {total:,}" in text
    assert "Dk² = 9 multiplications in each channel, 27 for the 3 values" in text
    assert f"one channel's whole map 9 &middot; 224 = {9 * 224:,}" in text
    assert "Done so far: 27." in text
    tracer.position.play.value = 99                      # the sweep at its 100th position
    assert "Done so far: 2,700." in tracer.counter.value  # 100 positions x 27


def test_the_sweep_and_the_sliders_stay_in_step_and_fill_the_map():
    tracer = depthwise_tracer()
    tracer.position.play.value = 30                       # 30 = row 2, column 2 of a 14-wide map
    assert (tracer.position.row.value, tracer.position.col.value) == (2, 2)
    tracer.position.row.value = 5
    assert tracer.position.play.value == 5 * 14 + 2
    tile = tracer.output_tiles[0].value
    assert cell_colour(tile, 5, 1) != UNFILLED           # reached
    assert cell_colour(tile, 5, 3) == UNFILLED           # not yet
    assert cell_colour(tile, 15, 13) == UNFILLED


def test_stride_and_padding_resize_the_map_and_keep_the_position_inside():
    tracer = depthwise_tracer()
    tracer.position.row.value, tracer.position.col.value = 15, 13
    tracer.stride_buttons.value = 2                        # (18 - 3) // 2 + 1 = 8, (16 - 3) // 2 + 1 = 7
    assert tracer.trace.output_size == (8, 7)
    assert (tracer.position.row.max, tracer.position.col.max, tracer.position.play.max) == (7, 6, 55)
    assert (tracer.trace.row, tracer.trace.col) == (7, 6)
    assert (tracer.trace.top, tracer.trace.left) == (14, 12)  # the window moves 2 pixels a step
    tracer.padding_buttons.value = 1                       # (18 + 2 - 3) // 2 + 1 = 9, 8
    assert tracer.trace.output_size == (9, 8) and tracer.trace.agrees
    assert cell_colour(tracer.input_tiles[0].value, 0, 0) == PADDING_CELL
    assert "Output map 9 x 8 (stride 2, padding 1)" in tracer.counter.value
    tracer.stride_buttons.value, tracer.padding_buttons.value = 1, 0
    assert tracer.trace.output_size == (16, 14)


def test_the_separable_tracer_follows_one_output_channel_through_both_steps():
    torch.manual_seed(0)
    layer = DepthwiseSeparableConv2d(3, 3, 3, bias=False)
    weights = layer.pointwise_conv.weight.clone()
    tracer = separable_tracer(layer)
    tracer.channel_buttons.value = 2
    tracer.position.play.value = 100                      # row 7, column 2
    with torch.no_grad():
        expected = layer(tracer_image()[None])[0]
    trace = tracer.trace
    assert (trace.out_channel, trace.depthwise.row, trace.depthwise.col) == (2, 7, 2)
    assert abs(trace.value - float(expected[2, 7, 2])) < 1e-5 and trace.agrees
    text = tracer.counter.value
    assert "8,064 / 18,144 = 4/9 = 1/N + 1/Dk² = 1/3 + 1/9 = 4/9" in text   # (6,048 + 2,016) / 18,144
    assert f"= {cost_table(layer, (1, 3, 18, 16)).total_macs:,}." in text
    assert torch.equal(layer.pointwise_conv.weight, weights)  # the caller's layer is untouched
    assert repr(tracer) == "SeparableTracer(position=(7, 2), output=2)"
    with pytest.raises(TypeError, match="DepthwiseSeparableConv2d"):
        separable_tracer(torch.nn.Conv2d(3, 3, 3))


def test_the_groups_slider_offers_only_divisors_and_shows_nn_conv2ds_numbers():
    explorer = groups_explorer()
    assert list(explorer.groups_slider.options) == [1, 2, 4, 8]
    explorer.groups_slider.value = 4
    conv = torch.nn.Conv2d(8, 8, 3, groups=4, bias=False)
    assert f"= {tuple(conv.weight.shape)}" in explorer.text.value
    assert f"{conv.weight.numel():,} weights" in explorer.text.value
    assert explorer.layer.mult_adds == cost_table(conv, (1, 8, 16, 16)).total_macs
    assert explorer.pointwise_tile.layout.visibility == "hidden"
    explorer.groups_slider.value = 8
    explorer.pointwise_box.value = True
    assert "the depthwise step" in explorer.text.value
    assert "every output sees every input again" in explorer.pointwise_text.value
    assert explorer.pointwise_tile.layout.visibility == "visible"
    assert list(groups_explorer(6, 9).groups_slider.options) == list(group_choices(6, 9)) == [1, 3]
    with pytest.raises(ValueError, match="allowed: 1, 2, 4, 8; got 3"):
        groups_explorer(groups=3)


def test_the_tracers_time_every_redraw():
    tracer = depthwise_tracer()
    seconds = time_control(tracer, tracer.position.play, range(0, 224, 7))
    seconds += time_control(tracer, tracer.position.row, range(16))
    layer = DepthwiseSeparableConv2d(3, 3, 3, bias=False)
    separable = separable_tracer(layer)
    seconds += time_control(separable, separable.position.col, range(14))
    groups = groups_explorer()
    seconds += time_control(groups, groups.groups_slider, [2, 4, 8, 1])
    assert len(seconds) >= 40 and all(s > 0 for s in seconds)  # speed: tools/widget_redraws.py
