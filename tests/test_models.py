import pytest
import torch
from torch import nn

from dwconv_utils import (ReferenceCNN, cost_table, mobilenet_v1, parameter_table,
                          separable_conv_params, standard_conv_params)

from seed_code import CNN as SeedCNN, seed_listing

# (in, out) of conv2..conv6 in the seed's code.
SEED_CONVS = [(32, 32), (32, 64), (64, 64), (64, 128), (128, 128)]


def _expected_total(separable: bool) -> int:
    """The seed network's size from the cost formulas (not from the model)."""
    conv1 = standard_conv_params(3, 1, 32, bias=True)
    fc = (128 * 3 * 3 * 128 + 128) + (128 * 10 + 10)
    if separable:
        convs = sum(separable_conv_params(3, m, n, bias=True) for m, n in SEED_CONVS)
    else:
        convs = sum(standard_conv_params(3, m, n, bias=True) for m, n in SEED_CONVS)
    return conv1 + convs + fc


@pytest.mark.parametrize("activation", ["relu", "selu"])
def test_separable_model_is_the_seed_network(activation):
    torch.manual_seed(7)
    ours = ReferenceCNN("separable", activation)
    torch.manual_seed(7)
    seed = SeedCNN(activation)
    ours_sd, seed_sd = ours.state_dict(), seed.state_dict()
    assert list(ours_sd) == list(seed_sd)
    for key in seed_sd:
        assert torch.equal(ours_sd[key], seed_sd[key]), key
    x = torch.randn(5, 1, 28, 28)
    assert torch.equal(ours(x), seed(x))


def test_parameter_table_reproduces_the_seed_listing():
    model = ReferenceCNN()
    table = parameter_table(model)
    assert [(r["name"], r["count"]) for r in table.rows] == seed_listing(SeedCNN())
    assert table.total == 184_234 == _expected_total(separable=True)
    text = str(table)
    assert "conv2.depthwise_conv.weight" in text and "184,234" in text
    assert "<table>" in table._repr_html_() and "184,234" in table._repr_html_()


def test_standard_twin_replaces_each_separable_layer():
    model = ReferenceCNN("standard")
    for name in ["conv2", "conv3", "conv4", "conv5", "conv6"]:
        conv = getattr(model, name)
        assert type(conv) is nn.Conv2d and conv.groups == 1 and conv.padding == "same"
    assert parameter_table(model).total == 435_306 == _expected_total(separable=False)
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_initialisation_is_xavier_with_zero_biases():
    model = ReferenceCNN("standard")
    for name, p in model.named_parameters():
        if name.endswith("bias"):
            assert torch.count_nonzero(p) == 0, name
        else:
            fan_out, fan_in = p.shape[0] * p[0, 0].numel(), p[0].numel()
            bound = (6 / (fan_in + fan_out)) ** 0.5
            assert p.abs().max() <= bound, name


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(conv="grouped"), ValueError, "conv"),
    (dict(activation="gelu"), ValueError, "activation"),
])
def test_reference_cnn_rejects_unknown_names(kwargs, error, words):
    with pytest.raises(error, match=words) as info:
        ReferenceCNN(**kwargs)
    assert "'separable'" in str(info.value) or "'relu'" in str(info.value)


@pytest.mark.parametrize("shape", [(1, 28, 28), (2, 3, 28, 28), (2, 1, 64, 64)])
def test_reference_cnn_rejects_wrong_input(shape):
    with pytest.raises(ValueError, match=r"\(batch, 1, 28, 28\)"):
        ReferenceCNN()(torch.zeros(shape))


# MobileNets paper (Howard et al. 2017) and the Table-1 model built from it.
def test_mobilenet_v1_reproduces_the_paper_table_4():
    separable = cost_table(mobilenet_v1())
    full = cost_table(mobilenet_v1(separable=False))
    assert round(separable.total_macs / 1e6, 1) == 568.7    # paper: 569M
    assert round(separable.total_params / 1e6, 2) == 4.23   # paper: 4.2M
    assert round(full.total_macs / 1e6) == 4867             # paper: 4866M
    assert round(full.total_params / 1e6, 1) == 29.3        # paper: 29.3M


@pytest.mark.parametrize("alpha, paper_macs", [(0.75, 325), (0.5, 149), (0.25, 41)])
def test_mobilenet_width_multiplier_table_6(alpha, paper_macs):
    assert round(cost_table(mobilenet_v1(alpha)).total_macs / 1e6) == paper_macs


@pytest.mark.parametrize("resolution, paper_macs", [(192, 418), (128, 186)])
def test_mobilenet_resolution_table_7(resolution, paper_macs):
    assert round(cost_table(mobilenet_v1(resolution=resolution)).total_macs / 1e6) == paper_macs


def test_mobilenet_160_differs_from_table_7_by_the_unscaled_fc_layer():
    # The paper's 290M is 568.7M * (160/224)^2; only the convolutions scale with the
    # input area, the FC layer's 1.024M mult-adds do not, so the count is 290.7M.
    full, small = cost_table(mobilenet_v1()), cost_table(mobilenet_v1(resolution=160))
    fc = 1024 * 1000
    assert round(small.total_macs / 1e6) == 291
    assert (small.total_macs - fc) * 49 == (full.total_macs - fc) * 25


def test_mobilenet_layer_shares_table_2():
    shares = cost_table(mobilenet_v1()).by_kind()
    total = sum(v["mult_adds"] for v in shares.values())
    assert round(100 * shares["pointwise"]["mult_adds"] / total, 2) == 94.86
    assert round(100 * shares["depthwise"]["mult_adds"] / total, 2) == 3.06
    assert round(100 * shares["linear"]["mult_adds"] / total, 2) == 0.18
    # The paper prints 1.19% for the first conv; the count gives 1.91% (swapped digits).
    assert round(100 * shares["standard"]["mult_adds"] / total, 2) == 1.91


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(width_multiplier=0), ValueError, "width_multiplier"),
    (dict(width_multiplier="1"), TypeError, "width_multiplier"),
    (dict(resolution=0), ValueError, "resolution"),
    (dict(resolution=224.0), TypeError, "resolution"),
    (dict(separable=1), TypeError, "separable"),
])
def test_mobilenet_rejects_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        mobilenet_v1(**kwargs)


def test_parameter_table_rejects_non_modules():
    with pytest.raises(TypeError, match="nn.Module"):
        parameter_table("CNN")


@pytest.mark.parametrize("conv", ["separable", "standard"])
def test_batch_norm_variant_follows_each_conv_step_and_drops_their_biases(conv):
    model = ReferenceCNN(conv, batch_norm=True)
    plain = ReferenceCNN(conv)
    layers = ["conv2", "conv3", "conv4", "conv5", "conv6"]
    pairs = [(getattr(plain, n).in_channels, getattr(plain, n).out_channels) for n in layers]
    # conv1, fc1, fc2 unchanged; conv2..conv6 lose their bias and gain BatchNorm (2 numbers a channel).
    if conv == "separable":
        convs = sum(separable_conv_params(3, m, n) for m, n in pairs)
        norms = sum(2 * (m + n) for m, n in pairs)   # after depthwise (m) and pointwise (n)
        assert [type(m).__name__ for m in model.conv3] == ["Conv2d", "BatchNorm2d", "Conv2d", "BatchNorm2d"]
        assert model.conv3.depthwise_conv.groups == 32
    else:
        convs = sum(standard_conv_params(3, m, n) for m, n in pairs)
        norms = sum(2 * n for _, n in pairs)
    others = sum(p.numel() for name, p in plain.named_parameters() if not name.startswith(tuple(layers)))
    assert parameter_table(model).total == others + convs + norms
    assert all(getattr(model, n)[0].bias is None for n in layers)
    assert "batch_norm=True" in repr(model)
    out = model(torch.randn(4, 1, 28, 28))
    assert out.shape == (4, 10)


def test_batch_norm_must_be_a_bool():
    with pytest.raises(TypeError, match="batch_norm must be True or False"):
        ReferenceCNN(batch_norm="yes")


# --- width and head (the equal-budget families of notebook 04) --------------------------

def _family_params(conv, c32, c64, c128, head="flatten"):
    """Parameters of ReferenceCNN from its channel counts, by the seed's formulas."""
    def layer(m, n):
        return separable_conv_params(3, m, n, bias=True) if conv == "separable" else standard_conv_params(3, m, n, bias=True)
    convs = (standard_conv_params(3, 1, c32, bias=True) + layer(c32, c32) + layer(c32, c64)
             + layer(c64, c64) + layer(c64, c128) + layer(c128, c128))
    fc = (c128 * 9 * 128 + 128 + 128 * 10 + 10) if head == "flatten" else c128 * 10 + 10
    return convs + fc


@pytest.mark.parametrize("conv", ["separable", "standard"])
@pytest.mark.parametrize("width, channels", [(1, (32, 64, 128)), (0.5, (16, 32, 64)), (2, (64, 128, 256)),
                                             (0.375, (12, 24, 48)), (0.58, (19, 37, 74)), (1 / 64, (1, 1, 2))])
@pytest.mark.parametrize("head", ["flatten", "pool"])
def test_width_and_head_are_counted_exactly(conv, width, channels, head):
    model = ReferenceCNN(conv, width=width, head=head)
    assert (model.conv1.out_channels, model.conv3.out_channels, model.conv5.out_channels) == channels
    assert parameter_table(model).total == _family_params(conv, *channels, head=head)
    table = cost_table(model, (1, 1, 28, 28))
    macs = {"conv1": 28 * 28 * 9 * channels[0]}
    assert table.rows[0]["mult_adds"] == macs["conv1"]
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    if head == "pool":
        assert not hasattr(model, "fc1")


def test_the_defaults_are_the_seed_network_and_the_description_names_only_changes():
    assert ReferenceCNN().description() == "conv='separable', activation='relu'"
    assert ReferenceCNN(width=0.58, head="pool").description() == \
        "conv='separable', activation='relu', width=0.58, head='pool'"


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(width=0), ValueError, "width must be a positive, finite number"),
    (dict(width=-1), ValueError, "width must be a positive, finite number"),
    (dict(width="wide"), TypeError, "width must be a positive number"),
    (dict(width=0.01), ValueError, "width=0.01 leaves a 32-channel layer with 0 channels; width must be at least 0.015625"),
    (dict(head="gap"), ValueError, "head must be one of 'flatten', 'pool'; got 'gap'"),
])
def test_bad_width_and_head_are_explained(kwargs, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        ReferenceCNN(**kwargs)


# --- the block variants (notebook 07) ---------------------------------------------------------

LAYERS = [(32, 32, 28), (32, 64, 14), (64, 64, 14), (64, 128, 7), (128, 128, 7)]  # M, N, map


def _expected(conv, batch_norm, k):
    params = 9 * 32 + 32 + (1152 * 128 + 128) + (128 * 10 + 10)
    macs = 9 * 32 * 28 * 28 + 1152 * 128 + 128 * 10
    for m, n, size in LAYERS:
        if conv == "separable":
            params += k * k * m + m * n + (2 * m + 2 * n if batch_norm else n)
            macs += (k * k * m + m * n) * size * size
        else:
            params += k * k * m * n + (2 * n if batch_norm else n)
            macs += k * k * m * n * size * size
    return params, macs


@pytest.mark.parametrize("conv, batch_norm, act_between, k", [
    ("separable", False, False, 3), ("separable", False, True, 3), ("separable", True, False, 3),
    ("separable", True, True, 3), ("separable", True, False, 5), ("standard", True, False, 3),
    ("standard", False, False, 5)])
def test_block_variants_count_parameters_and_mult_adds_by_formula(conv, batch_norm, act_between, k):
    from dwconv_utils.protocol import Net
    net = Net(conv, batch_norm=batch_norm, act_between=act_between, kernel_size=k)
    params, macs = _expected(conv, batch_norm, k)
    assert net.parameters() == params
    assert net.mult_adds() == macs


def test_block_order_is_the_modules_order():
    model = ReferenceCNN(batch_norm=True, act_between=True)
    assert [type(m).__name__ for m in model.conv3] == ["Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d"]
    assert [name for name, _ in model.conv3.named_children()] == [
        "depthwise_conv", "depthwise_bn", "depthwise_act", "pointwise_conv", "pointwise_bn"]
    assert model.conv3.depthwise_conv.groups == 32 and model.conv3.pointwise_conv.kernel_size == (1, 1)
    assert model.block_ops() == ["depthwise 3x3", "batchnorm", "relu", "pointwise 1x1", "batchnorm", "relu"]
    assert ReferenceCNN().block_ops() == ["depthwise 3x3", "pointwise 1x1", "relu"]
    assert ReferenceCNN(act_between=True, activation="selu").block_ops() == [
        "depthwise 3x3", "selu", "pointwise 1x1", "selu"]
    assert ReferenceCNN("standard", kernel_size=5).block_ops() == ["conv 5x5", "relu"]
    # The activation between the steps acts: the layer differs from the same weights without it.
    torch.manual_seed(0)
    plain = ReferenceCNN()
    torch.manual_seed(0)
    between = ReferenceCNN(act_between=True)
    x = torch.randn(2, 1, 28, 28)
    assert between.conv2.depthwise_conv.weight.equal(plain.conv2.depthwise_conv.weight)
    assert not torch.allclose(between(x), plain(x))
    assert "act_between=True" in between.description()


def test_block_options_refuse_what_they_cannot_build():
    with pytest.raises(ValueError, match="needs conv='separable'"):
        ReferenceCNN("standard", act_between=True)
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        ReferenceCNN(kernel_size=4)


def test_the_block_figure_draws_every_operation_in_order():
    from matplotlib.patches import FancyBboxPatch

    from dwconv_utils.plots import plot_block_ops
    from dwconv_utils.plots.blocks import OP_COLORS
    from dwconv_utils.style import CHANNEL_COLORS
    blocks = {"seed": ReferenceCNN(), "MobileNetV1": ReferenceCNN(batch_norm=True, act_between=True)}
    fig = plot_block_ops(blocks)
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == 3 + 6
    texts = [t.get_text() for t in ax.texts]
    assert texts.index("seed") > texts.index("MobileNetV1")  # the first block is drawn on top
    assert "batchnorm" in texts and "depthwise\n3x3" in texts
    assert not set(OP_COLORS.values()) & set(CHANNEL_COLORS)  # no channel red, green or blue
    with pytest.raises(ValueError, match="at least one block"):
        plot_block_ops({})
