"""The widget redraw benchmark runs and reports every control (its numbers are not asserted)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import widget_redraws  # noqa: E402


def test_benchmark_reports_every_widget_control(capsys):
    assert widget_redraws.main() == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + 16  # 14 controls of notebooks 01-03, two of notebook 06
    for line in lines[1:]:
        moves, median, slowest = line[38:].split()[:3]
        assert int(moves) > 0 and 0 < float(median) <= float(slowest)
