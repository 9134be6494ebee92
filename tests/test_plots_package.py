"""The plots package: every name the single plots.py offered is still there, and its modules
stay clear of the training side of the package (no import circle, no training code pulled in)."""
import ast
import importlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import dwconv_utils.plots as plots  # noqa: E402

PACKAGE = Path(plots.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))

# Every public function and constant of the former dwconv_utils/plots.py.
FORMER_NAMES = [
    "MAP_INCHES", "symmetric_limit",
    "plot_channels", "plot_channel_rows", "plot_pointwise_mixing", "plot_kernel_grids",
    "plot_map_grid", "plot_rank_tradeoff",
    "plot_cost_ratio_vs_channels", "plot_cost_by_layer_pair", "plot_cost_by_block",
    "plot_histories", "plot_class_examples", "plot_seed_bands", "plot_first_steps",
    "plot_confusion_matrix", "plot_confident_mistakes",
    "plot_time_shares", "plot_time_by_block", "plot_roofline", "plot_speed_settings",
]
# Added since.
NEW_NAMES = ["plot_signal_spread", "plot_budget_families", "plot_race", "plot_pixel_trace",
             "plot_separable_trace", "plot_sliding_window", "sweep_positions", "plot_groups",
             "plot_protocol_curves", "plot_block_ops"]
FORBIDDEN = {"experiments", "train", "history", "results", "race"}


@pytest.mark.parametrize("name", FORMER_NAMES)
def test_every_former_name_is_importable_from_the_package(name):
    module = importlib.import_module("dwconv_utils.plots")
    assert getattr(module, name) is not None
    assert name in module.__all__
    exec(f"from dwconv_utils.plots import {name}", {})


def test_all_names_nothing_but_the_former_and_the_new_names():
    assert sorted(plots.__all__) == sorted(FORMER_NAMES + NEW_NAMES)


def _imports(path: Path):
    """(absolute module, imported name or None, line) for every import in ``path``."""
    package = ["dwconv_utils", "plots"]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                yield module, alias.name, node.lineno


def test_the_package_has_its_topic_modules():
    assert {p.stem for p in MODULES} >= {"__init__", "drawing", "feature_maps", "cost",
                                         "training", "speed"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_module_imports_the_training_side(path):
    for module, name, line in _imports(path):
        parts = module.split(".") + ([name] if name else [])
        assert not FORBIDDEN & set(parts[1:] if parts[0] == "dwconv_utils" else parts[:1]), (
            f"{path.name}:{line} imports {module}{'.' + name if name else ''}")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_module_imports_a_private_name_of_another(path):
    for module, name, line in _imports(path):
        if module.startswith("dwconv_utils"):
            names = module.split(".")[1:] + ([name] if name else [])
            assert not any(n.startswith("_") for n in names), (
                f"{path.name}:{line} imports the private {module}.{name}")
