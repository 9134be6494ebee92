"""The notebook 01-02 widgets: driven through their controls, they show the right maps, fast."""
import matplotlib

matplotlib.use("Agg")
import io  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

from dwconv_utils.images import KERNEL_NAMES, depthwise_weight, make_kernel, sample_image  # noqa: E402
from dwconv_utils.widgets import (KERNEL_SIZES, kernel_explorer, mixing_explorer, png_tile,  # noqa: E402
                                  time_control)



@pytest.fixture(scope="module")
def image():
    return sample_image()


def png_size(png: bytes):
    return Image.open(io.BytesIO(png)).size


def test_png_tile_is_an_image_of_the_array():
    png = png_tile(torch.arange(12.0).reshape(3, 4), "Reds", 0.0, 11.0)
    assert png_size(png) == (4, 3)
    pixels = Image.open(io.BytesIO(png)).convert("RGB")
    assert sum(pixels.getpixel((0, 0))) > sum(pixels.getpixel((3, 2)))  # Reds: low is light
    assert png_size(png_tile(torch.zeros(2, 2), "Reds", 0.0, 0.0)) == (2, 2)


def test_kernel_explorer_shows_each_channel_convolved_alone(image):
    explorer = kernel_explorer(image)
    explorer.kernel_menus[1].value = "emboss"
    explorer.size_buttons.value = 5
    assert explorer.kernel_names == ("gaussian", "emboss", "sobel y")
    assert "G &#8902; emboss" in explorer.map_captions[1].value
    for c, name in enumerate(explorer.kernel_names):
        alone = F.conv2d(image[c][None, None], make_kernel(name, 5)[None, None])[0, 0]
        torch.testing.assert_close(explorer.maps[c], alone)
        assert png_size(explorer.map_tiles[c].value) == (128 - 4, 150 - 4)
    assert png_size(explorer.kernel_tiles[0].value)[0] >= 5 * 14  # cells blown up, not blurred
    assert repr(explorer) == "KernelExplorer(kernels=('gaussian', 'emboss', 'sobel y'), size=5)"


def test_kernel_explorer_tiles_change_with_the_controls(image):
    explorer = kernel_explorer(image)
    before = [tile.value for tile in explorer.map_tiles] + [explorer.sum_tile.value]
    explorer.kernel_menus[0].value = "sharpen"
    after = [tile.value for tile in explorer.map_tiles] + [explorer.sum_tile.value]
    assert after[0] != before[0] and after[1:3] == before[1:3]  # only channel R's map moved
    assert after[3] != before[3]                                 # and the standard conv's sum
    torch.testing.assert_close(explorer.weight, depthwise_weight(explorer.kernel_names, 3))


def test_kernel_explorer_times_every_redraw(image):
    explorer = kernel_explorer(image)
    seconds = time_control(explorer, explorer.kernel_menus[2], KERNEL_NAMES)
    seconds += time_control(explorer, explorer.size_buttons, KERNEL_SIZES[::-1])
    assert len(seconds) >= 10 and all(s > 0 for s in seconds)  # speed: tools/widget_redraws.py
    assert explorer.kernel_names[2] == "sobel y" and explorer.size_buttons.value == 3  # restored


def test_kernel_explorer_needs_a_kernel_per_channel(image):
    with pytest.raises(ValueError, match="one kernel name per channel"):
        kernel_explorer(image, ["gaussian"])


@pytest.fixture
def maps():
    torch.manual_seed(0)
    return torch.randn(3, 20, 16)


def test_mixing_explorer_outputs_are_the_weights_times_the_maps(maps):
    explorer = mixing_explorer(maps, torch.zeros(2, 3))
    explorer.sliders[0][1].value = 1.5
    explorer.sliders[1][2].value = -0.5
    assert explorer.weights.tolist() == [[0.0, 1.5, 0.0], [0.0, 0.0, -0.5]]
    torch.testing.assert_close(explorer.outputs[0], 1.5 * maps[1])
    torch.testing.assert_close(explorer.outputs,
                               F.conv2d(maps[None], explorer.weights[:, :, None, None])[0])
    assert repr(explorer) == "MixingExplorer(weights=[[0.0, 1.5, 0.0], [0.0, 0.0, -0.5]])"


def test_moving_one_weight_redraws_only_its_output(maps):
    explorer = mixing_explorer(maps)
    before = [tile.value for tile in explorer.output_tiles]
    explorer.sliders[2][0].value = 0.7
    after = [tile.value for tile in explorer.output_tiles]
    assert after[:2] == before[:2] and after[2] != before[2]


def test_mixing_explorer_draws_every_map_on_one_colour_scale(maps):
    explorer = mixing_explorer(maps, torch.zeros(2, 3))
    explorer.sliders[0][0].value = 0.5
    explorer.sliders[1][0].value = 1.0
    half, full = (Image.open(io.BytesIO(t.value)).convert("RGB") for t in explorer.output_tiles)
    assert half.tobytes() != full.tobytes()  # per-map scaling would draw both the same


def test_preset_buttons_set_every_weight_with_one_redraw(maps):
    explorer = mixing_explorer(maps, torch.zeros(3, 3))
    buttons = {button.description: button for button in explorer.preset_buttons}
    buttons["sum"].click()
    assert explorer.weights.tolist() == [[1.0] * 3] * 3
    torch.testing.assert_close(explorer.outputs[1], maps.sum(0))
    buttons["identity"].click()
    torch.testing.assert_close(explorer.outputs, maps)
    buttons["random"].click()
    first = explorer.weights
    buttons["random"].click()
    assert not torch.equal(first, explorer.weights)
    assert explorer.weights.abs().max() <= 2.0


def test_mixing_explorer_times_every_redraw(image):
    maps = F.conv2d(image[None], depthwise_weight(["gaussian", "sobel x", "sobel y"]), groups=3)[0]
    explorer = mixing_explorer(maps)
    slider = explorer.sliders[1][0]
    seconds = time_control(explorer, slider, [v / 10 for v in range(-10, 11, 2)])
    assert len(seconds) >= 10 and all(s > 0 for s in seconds)  # speed: tools/widget_redraws.py
    assert slider.value == 0.0
