"""The committed counter report: fresh against cost_table, pinned versions, and findings whose
words follow the numbers."""
import copy
import json

import pytest

from dwconv_utils.counters import (COUNTER_MODELS, COUNTER_VERSIONS, REPORT_PATH, TOOLS, CounterReport,
                                   counter_findings, counter_table, exact_macs, load_counter_report,
                                   mobilenet_extras)


def test_the_committed_report_matches_cost_table_and_the_pinned_versions():
    report = load_counter_report()           # raises when stale
    assert {m.name for m in COUNTER_MODELS} == set(report.macs)
    assert all(set(counts) == set(TOOLS) for counts in report.macs.values())
    for tool, pinned in COUNTER_VERSIONS.items():
        assert report.versions[tool] == pinned
    for model in COUNTER_MODELS:          # FlopCounterMode is exact on every model
        assert report.macs[model.name]["FlopCounterMode"] == report.exact[model.name]


def test_the_small_models_exact_counts_by_hand():
    exact = {m.name: exact_macs(m) for m in COUNTER_MODELS}
    assert exact["Linear on (B, H, W, C)"] == 16 * 16 * 3 * 9 * 16 + 16 * 16 * 16 * 64
    assert exact["stride-2 ConvTranspose2d"] == 5 * 5 * 4 * 6 * 9
    assert exact["F.conv2d in forward"] == 16 * 16 * 3 * 9 * 8 + 8 * 16 * 16 * 10
    assert exact["seed CNN, separable"] * 2 == 8_131_200 and exact["seed CNN, standard"] * 2 == 58_551_808


@pytest.mark.parametrize("change, words", [
    (lambda d: d["exact"].update({"MobileNetV1": 1}), "stale"),
    (lambda d: d["versions"].update({"thop": "0.2"}), "pinned"),
    (lambda d: d["exact"].pop("F.conv2d in forward"), "counter models"),
])
def test_a_stale_report_is_refused(tmp_path, change, words):
    data = json.loads(REPORT_PATH.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=words):
        load_counter_report(path)
    with pytest.raises(FileNotFoundError, match="tools/flop_counters.py"):
        load_counter_report(tmp_path / "missing.json")


def test_the_findings_follow_the_numbers():
    report = load_counter_report()
    findings = counter_findings(report)
    assert findings[0].startswith("fvcore and torchprofile miss every padding='same' convolution")
    assert "197x too few" in findings[0]          # 29,275,904 / 148,736
    assert "aten::_convolution_mode" in report.unsupported["seed CNN, standard"]
    extras = mobilenet_extras()
    assert report.macs["MobileNetV1"]["fvcore"] == (report.exact["MobileNetV1"] + 2 * extras["batchnorm outputs"]
                                                    + extras["pooled inputs"])
    assert "fvcore 578.88M adds 2 per BatchNorm output" in findings[-1]
    # A report where every tool counts right leaves only the MobileNetV1 sentence, with nothing added.
    exact = CounterReport(copy.deepcopy(report.data))
    for name in exact.macs:
        exact.macs[name] = {tool: exact.exact[name] for tool in TOOLS}
    assert counter_findings(exact) == ["On MobileNetV1 every counter reports the exact 568.74M mult-adds."]


def test_the_table_shows_raw_counts_ratios_and_failures():
    report = load_counter_report()
    table = counter_table(report)
    assert len(table) == len(COUNTER_MODELS) and table.rows[1]["fvcore"] == 148_736
    ratios = counter_table(report, as_ratio=True)
    assert ratios.rows[4]["thop"] == f"{26_136 / 5_400:.3f}"
    broken = CounterReport(copy.deepcopy(report.data))
    broken.macs["MobileNetV1"]["thop"] = None
    assert counter_table(broken).rows[2]["thop"] == "failed"
