"""The MobileNets paper's numbers (dwconv_utils.paper) and the comparison table."""
import pytest

from dwconv_utils import MOBILENET_PAPER, compare_with_paper, cost_table, mobilenet_v1
from dwconv_utils.paper import PaperNumber


@pytest.mark.parametrize("printed, decimals, close, off", [
    ("569", 0, 568.74, 569.5001), ("4.2", 1, 4.232, 4.149), ("94.86", 2, 94.857, 94.8651),
    ("0.27", 2, 0.2668, 0.2649)])
def test_a_value_matches_when_it_rounds_to_the_printed_digits(printed, decimals, close, off):
    number = PaperNumber("k", "Table 0", "q", printed, "M")
    assert number.decimals == decimals
    assert number.rounded(close) == printed and number.rounded(off) != printed


def test_comparison_converts_units_and_flags_what_the_rounding_cannot_explain():
    comparison = compare_with_paper({
        "table4.mobilenet.mult_adds": 569_499_999,   # rounds to 569M
        "table4.mobilenet.params": 4_250_001,        # rounds to 4.3M, paper 4.2M
        "table2.fc.mult_adds": 0.0018,               # 0.18%
    })
    rows = {r["key"]: r for r in comparison.rows}
    assert [r["key"] for r in comparison.rows] == [  # the paper's order, not the dict's
        "table2.fc.mult_adds", "table4.mobilenet.mult_adds", "table4.mobilenet.params"]
    assert rows["table4.mobilenet.mult_adds"]["matches"]
    assert rows["table4.mobilenet.mult_adds"]["computed"] == "569.499999M"  # every shorter form reads 570
    assert rows["table4.mobilenet.mult_adds"]["rounded"] == "569M"
    assert rows["table2.fc.mult_adds"]["matches"] and rows["table2.fc.mult_adds"]["paper"] == "0.18%"
    assert [r["key"] for r in comparison.mismatches] == ["table4.mobilenet.params"]
    assert rows["table4.mobilenet.params"]["difference"] == "+0.050001M"
    assert rows["table4.mobilenet.params"]["rounded"] == "4.3M"
    assert rows["table4.mobilenet.params"]["note"] == "(no known reason)"
    assert "4.2M" in str(comparison) and "<table>" in comparison._repr_html_()


def test_shown_digits_never_seem_to_round_the_other_way():
    row = compare_with_paper({"table6.0.5.mult_adds": 149_497_088}).rows[0]
    assert row["matches"] and row["rounded"] == "149M"
    assert row["computed"] == "149.497M"  # not 149.50M, which would seem to round to 150M


def test_unknown_keys_are_named():
    with pytest.raises(KeyError, match="table9"):
        compare_with_paper({"table9.mult_adds": 1})


def test_every_number_is_printed_as_a_number_with_a_unit():
    for key, number in MOBILENET_PAPER.items():
        assert number.key == key and number.unit in ("M", "%")
        assert number.value >= 0 and number.source.startswith(("Table", "Section"))


def _mobilenet_numbers() -> dict[str, float]:
    """Table 2, 4 and Section 3.2 computed from the Table 1 model, and MobileNet-160."""
    separable = cost_table(mobilenet_v1())
    full = cost_table(mobilenet_v1(separable=False))
    kinds = separable.by_kind()
    macs = separable.total_macs
    # The paper's parameter shares count weights: no BatchNorm, no FC bias.
    weights = {k: kinds[k]["params"] for k in ("pointwise", "depthwise", "standard")}
    weights["linear"] = kinds["linear"]["params"] - 1000
    total_weights = sum(weights.values())
    values = {"table4.conv.mult_adds": full.total_macs, "table4.conv.params": full.total_params,
              "table4.mobilenet.mult_adds": macs, "table4.mobilenet.params": separable.total_params,
              "table7.160.mult_adds": cost_table(mobilenet_v1(resolution=160)).total_macs,
              "sec3.2.pointwise.mult_adds": kinds["pointwise"]["mult_adds"] / macs,
              "sec3.2.pointwise.params": weights["pointwise"] / total_weights}
    for kind, name in [("pointwise", "pointwise"), ("depthwise", "depthwise"),
                       ("standard", "first_conv"), ("linear", "fc")]:
        values[f"table2.{name}.mult_adds"] = kinds[kind]["mult_adds"] / macs
        values[f"table2.{name}.params"] = weights[kind] / total_weights
    return values


def test_only_the_numbers_with_a_known_reason_differ():
    comparison = compare_with_paper(_mobilenet_numbers())
    assert len(comparison) == 15
    noted = {key for key, number in MOBILENET_PAPER.items() if number.note}
    assert {r["key"] for r in comparison.mismatches} == noted
    assert all(r["note"] == MOBILENET_PAPER[r["key"]].note for r in comparison.mismatches)


def test_the_reasons_in_the_notes_hold():
    values = _mobilenet_numbers()
    # First layer: 1.91%, and the paper's column sums to 99.29% with its 1.19%.
    assert round(100 * values["table2.first_conv.mult_adds"], 2) == 1.91
    paper_column = sum(MOBILENET_PAPER[f"table2.{k}.mult_adds"].value
                       for k in ("pointwise", "depthwise", "first_conv", "fc"))
    assert round(paper_column, 2) == 99.29
    # Conv MobileNet: 4866.3M without the 1.0M FC layer (1024 x 1000 mult-adds).
    assert round((values["table4.conv.mult_adds"] - 1024 * 1000) / 1e6, 1) == 4866.3
    # MobileNet-160: the paper's 290 is 568.7M x (160/224)^2; the exact count is 290.7M.
    assert round(values["table4.mobilenet.mult_adds"] / 1e6, 1) == 568.7
    assert round(values["table4.mobilenet.mult_adds"] * (160 / 224) ** 2 / 1e6) == 290
    assert round(values["table7.160.mult_adds"] / 1e6, 1) == 290.7


def test_the_papers_equal_budget_sentence_is_computed_from_its_numbers():
    from dwconv_utils.paper import MOBILENET_ACCURACY, paper_sentence
    assert MOBILENET_ACCURACY["MobileNet"]["top1"] == 70.6 and MOBILENET_ACCURACY["Conv MobileNet"]["top1"] == 71.7
    sentence = paper_sentence()
    # 71.7 - 70.6; 4866 / 569 = 8.55; 29.3 / 4.2 = 6.98; 68.4 - 65.3
    assert "gain only 1.1 points" in sentence and "8.6x the mult-adds" in sentence
    assert "7.0x the parameters" in sentence and "by 3.1 points (Table 5)" in sentence
