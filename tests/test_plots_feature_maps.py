"""The notebook 01-02 figures: right panels, right titles, collection style."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from dwconv_utils import plots  # noqa: E402
from dwconv_utils.plots.drawing import show_kernel  # noqa: E402
from dwconv_utils.images import EXAMPLE_KERNELS, depthwise_weight, sample_image  # noqa: E402
from dwconv_utils.style import COLORS, apply_style  # noqa: E402


@pytest.fixture(autouse=True)
def style_and_cleanup():
    apply_style()
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def image():
    return sample_image(downsample=8)


def images_in(fig):
    return [ax for ax in fig.axes if ax.images]


def titles(fig):
    return [ax.get_title() for ax in fig.axes]


def test_channels_figure_shows_the_photo_and_each_channel(image):
    fig = plots.plot_channels(image)
    assert titles(fig) == ["colour image", "channel R", "channel G", "channel B"]
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    assert (fig.axes[1].images[0].get_array() == image[0].numpy()).all()


def test_channel_rows_draw_every_kernel_and_map_and_the_sum_only_when_given(image):
    weight = depthwise_weight(EXAMPLE_KERNELS)
    maps = F.conv2d(image[None], weight, groups=3)[0]
    depthwise = plots.plot_channel_rows(image, weight, maps, EXAMPLE_KERNELS, title="dw")
    assert len(images_in(depthwise)) == 3 * 3  # input, kernel, map per channel
    assert "G \u22c6 sobel x" in titles(depthwise)
    assert "sum of the parts" not in titles(depthwise)
    assert depthwise._suptitle.get_color() == COLORS["depthwise"]

    standard = plots.plot_channel_rows(image, weight, maps, EXAMPLE_KERNELS, sum_map=maps.sum(0),
                                       kind="standard")
    assert len(images_in(standard)) == 3 * 3 + 1
    assert "sum of the parts" in titles(standard)


def test_depth_multiplier_two_gives_two_kernels_and_maps_per_row(image):
    names = ["gaussian", "sharpen", "sobel x", "sobel y", "emboss", "random"]
    weight = depthwise_weight(names)
    maps = F.conv2d(image[None], weight, groups=3)[0]
    fig = plots.plot_channel_rows(image, weight, maps, names)
    assert len(images_in(fig)) == 3 * (1 + 2 + 2)
    assert "R \u22c6 sharpen" in titles(fig) and "B \u22c6 random" in titles(fig)


def test_kernel_weights_are_written_in_their_cells():
    fig, ax = plt.subplots()
    show_kernel(ax, torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [0.0625, -0.0, 0.5]]))
    assert [t.get_text() for t in ax.texts] == ["-1", "0", "1", "-2", "0", "2", ".06", "0", ".5"]
    assert ax.texts[3].get_color() == "white"  # the strongest weights sit on dark cells


def test_pointwise_figure_lines_up_inputs_weights_and_outputs(image):
    maps = torch.randn(3, 10, 8)
    weights = torch.tensor([[1.0, 1.0, 1.0], [0.0, -1.0, 0.5]])
    outputs = torch.einsum("nm,mhw->nhw", weights, maps)
    fig = plots.plot_pointwise_mixing(maps, weights, outputs, ["a", "b", "c"], title="pw")
    assert len(images_in(fig)) == 3 + 1 + 2
    assert ["a", "b", "c", "output 0", "output 1"] == [t for t in titles(fig) if t]
    assert sorted(t.get_text() for ax in fig.axes for t in ax.texts) == sorted(
        ["1", "1", "1", "0", "-1", ".5"])


def test_kernel_grids_share_one_colour_scale():
    small, large = torch.ones(2, 3, 3, 3), 4 * torch.ones(2, 3, 3, 3)
    fig = plots.plot_kernel_grids({"small": small, "large": large})
    limits = {ax.images[0].get_clim() for ax in fig.axes}
    assert limits == {(-4.0, 4.0)}
    assert len(fig.axes) == 2 * 2 * 3


def test_map_grid_shares_one_colour_scale_per_column():
    maps = torch.stack([torch.stack([torch.full((4, 4), 3.0), torch.ones(4, 4)]),
                        torch.stack([torch.full((4, 4), 1e-7), torch.ones(4, 4)])])
    fig = plots.plot_map_grid(maps, ["a", "b"], ["x", "y"])
    assert [ax.images[0].get_clim() for ax in fig.axes] == [(-3, 3), (-1, 1), (-3, 3), (-1, 1)]


def test_map_grid_and_rank_tradeoff_figures():
    fig = plots.plot_map_grid(torch.randn(2, 2, 5, 5), ["standard", "separable"], ["out 0", "out 1"],
                              row_kinds=["standard", "separable"])
    assert fig.axes[0].get_ylabel() == "standard" and fig.axes[1].get_title() == "out 1"
    assert fig.axes[2].yaxis.label.get_color() == COLORS["separable"]
    fig = plots.plot_rank_tradeoff([1, 2, 4], [0.5, 0.3, 0.0], [10, 20, 40], 30)
    line = fig.axes[1].lines[0]
    assert list(line.get_ydata()) == [10, 20, 40] and line.get_color() == COLORS["separable"]


def test_symmetric_limit_puts_zero_in_the_middle():
    assert plots.symmetric_limit(torch.tensor([-3.0, 1.0])) == 3.0
    assert plots.symmetric_limit(torch.zeros(4)) == 1.0
