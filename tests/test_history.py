"""A run's History: JSON round trip, clear errors for bad files, its figure."""
import json

import pytest

from dwconv_utils.history import History
from tiny_training import train_tiny


def test_history_json_round_trip(tmp_path):
    _, history = train_tiny()
    path = history.save(tmp_path / "runs" / "h.json")
    assert History.load(path) == history
    assert json.loads(path.read_text())["version"] == 1
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["h.json"]  # no temp files left


def test_history_load_explains_bad_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        History.load(bad)
    bad.write_text(json.dumps({"version": 1, "name": "x"}))
    with pytest.raises(ValueError, match="missing"):
        History.load(bad)
    bad.write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match="version"):
        History.load(bad)


def test_history_plot_draws_both_panels():
    _, history = train_tiny()
    for x in ("epoch", "seconds"):
        figure = history.plot(x=x)
        assert [ax.get_title() for ax in figure.axes] == ["Loss (faint: every step)", "Test accuracy"]
    with pytest.raises(ValueError, match="x must be"):
        history.plot(x="steps")
