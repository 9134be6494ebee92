"""The MobileNets paper's numbers, quoted once, and a table that sets ours beside them.

Howard et al. 2017, "MobileNets: Efficient Convolutional Neural Networks for
Mobile Vision Applications" (arXiv 1704.04861). Each number is kept as the
paper prints it, so its rounding is known: a computed value *matches* when,
rounded to the same digits, it reads exactly as the paper prints it. Notebook
03 reproduces every number here from ``mobilenet_v1`` and ``cost_table``.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

from .tables import Table

# How a raw count or fraction is turned into the paper's unit.
UNIT_SCALES = {"M": 1e6, "%": 0.01}


@dataclass(frozen=True)
class PaperNumber:
    """One number of the paper: where it is, what it measures, and its printed text (notebook 03).

    ``note`` says why our count differs, for the numbers that do (notebook 03
    shows each reason by computation).
    """

    key: str
    source: str
    quantity: str
    printed: str
    unit: str
    note: str = ""

    @property
    def value(self) -> float:
        return float(self.printed)

    @property
    def decimals(self) -> int:
        return max(0, -Decimal(self.printed).as_tuple().exponent)

    def rounded(self, value: float) -> str:
        """``value`` (in this number's unit) rounded to the digits the paper prints."""
        return f"{value:.{self.decimals}f}"

    def in_paper_units(self, raw: float) -> float:
        """A raw count (mult-adds, parameters) or fraction in this number's unit."""
        return raw / UNIT_SCALES[self.unit]


def _numbers(source: str, unit: str, *entries: tuple) -> list[PaperNumber]:
    return [PaperNumber(key, source, quantity, printed, unit, *note)
            for key, quantity, printed, *note in entries]


_FIRST_LAYER_NOTE = ("the first 3x3 conv is 1.91% of 568.7M; 1.19% looks like swapped digits "
                     "(the paper's column then sums to 99.29%)")
_CONV_MOBILENET_NOTE = ("4866.3M is the count without the FC layer's 1.0M: the paper seems to "
                        "leave the FC out here, though not in MobileNet's 569M")
_RESOLUTION_160_NOTE = ("the paper's 290 equals 568.7M x (160/224)^2; but the FC layer's 1.0M "
                        "does not shrink with the input, so the exact count is 290.7M")

MOBILENET_PAPER: dict[str, PaperNumber] = {p.key: p for p in [
    *_numbers("Section 3.2", "%",
              ("sec3.2.pointwise.mult_adds", "mult-adds in 1x1 convs", "95"),
              ("sec3.2.pointwise.params", "parameters in 1x1 convs", "75")),
    *_numbers("Table 2", "%",
              ("table2.pointwise.mult_adds", "Conv 1x1: share of mult-adds", "94.86"),
              ("table2.pointwise.params", "Conv 1x1: share of parameters", "74.59"),
              ("table2.depthwise.mult_adds", "Conv DW 3x3: share of mult-adds", "3.06"),
              ("table2.depthwise.params", "Conv DW 3x3: share of parameters", "1.06"),
              ("table2.first_conv.mult_adds", "Conv 3x3 (first layer): share of mult-adds", "1.19",
               _FIRST_LAYER_NOTE),
              ("table2.first_conv.params", "Conv 3x3 (first layer): share of parameters", "0.02"),
              ("table2.fc.mult_adds", "Fully connected: share of mult-adds", "0.18"),
              ("table2.fc.params", "Fully connected: share of parameters", "24.33")),
    *_numbers("Table 3", "M",
              ("table3.standard.mult_adds", "14x14x512, 3x3x512x512 conv: mult-adds", "462"),
              ("table3.standard.params", "14x14x512, 3x3x512x512 conv: parameters", "2.36"),
              ("table3.separable.mult_adds", "same layer, depthwise separable: mult-adds", "52.3"),
              ("table3.separable.params", "same layer, depthwise separable: parameters", "0.27")),
    *_numbers("Table 4", "M",
              ("table4.conv.mult_adds", "Conv MobileNet: mult-adds", "4866", _CONV_MOBILENET_NOTE),
              ("table4.conv.params", "Conv MobileNet: parameters", "29.3"),
              ("table4.mobilenet.mult_adds", "MobileNet: mult-adds", "569"),
              ("table4.mobilenet.params", "MobileNet: parameters", "4.2")),
    *_numbers("Table 6", "M",
              ("table6.1.0.mult_adds", "1.0 MobileNet-224: mult-adds", "569"),
              ("table6.1.0.params", "1.0 MobileNet-224: parameters", "4.2"),
              ("table6.0.75.mult_adds", "0.75 MobileNet-224: mult-adds", "325"),
              ("table6.0.75.params", "0.75 MobileNet-224: parameters", "2.6"),
              ("table6.0.5.mult_adds", "0.5 MobileNet-224: mult-adds", "149"),
              ("table6.0.5.params", "0.5 MobileNet-224: parameters", "1.3"),
              ("table6.0.25.mult_adds", "0.25 MobileNet-224: mult-adds", "41"),
              ("table6.0.25.params", "0.25 MobileNet-224: parameters", "0.5")),
    *_numbers("Table 7", "M",
              ("table7.224.mult_adds", "1.0 MobileNet-224: mult-adds", "569"),
              ("table7.224.params", "1.0 MobileNet-224: parameters", "4.2"),
              ("table7.192.mult_adds", "1.0 MobileNet-192: mult-adds", "418"),
              ("table7.192.params", "1.0 MobileNet-192: parameters", "4.2"),
              ("table7.160.mult_adds", "1.0 MobileNet-160: mult-adds", "290", _RESOLUTION_160_NOTE),
              ("table7.160.params", "1.0 MobileNet-160: parameters", "4.2"),
              ("table7.128.mult_adds", "1.0 MobileNet-128: mult-adds", "186"),
              ("table7.128.params", "1.0 MobileNet-128: parameters", "4.2")),
]}

# Accuracies, not counts (ImageNet top-1 %, and the tables' mult-adds and parameters in
# millions): what the paper trades for its budgets, set beside the equal-budget families of
# notebook 06. Table 4: full convolutions against depthwise separable ones; Table 5: at about
# equal cost, a thinner network against a shallower one.
MOBILENET_ACCURACY = {
    "Conv MobileNet": {"source": "Table 4", "top1": 71.7, "mult_adds": 4866, "params": 29.3},
    "MobileNet": {"source": "Table 4", "top1": 70.6, "mult_adds": 569, "params": 4.2},
    "0.75 MobileNet": {"source": "Table 5", "top1": 68.4, "mult_adds": 325, "params": 2.6},
    "Shallow MobileNet": {"source": "Table 5", "top1": 65.3, "mult_adds": 307, "params": 2.9},
}


def paper_sentence() -> str:
    """The paper's own equal-budget evidence in one sentence, from ``MOBILENET_ACCURACY``."""
    conv, sep = MOBILENET_ACCURACY["Conv MobileNet"], MOBILENET_ACCURACY["MobileNet"]
    thin, shallow = MOBILENET_ACCURACY["0.75 MobileNet"], MOBILENET_ACCURACY["Shallow MobileNet"]
    return (f"**On ImageNet, the MobileNets paper:** full convolutions gain only "
            f"{conv['top1'] - sep['top1']:.1f} points of top-1 ({conv['top1']}% against {sep['top1']}%) "
            f"for {conv['mult_adds'] / sep['mult_adds']:.1f}x the mult-adds and "
            f"{conv['params'] / sep['params']:.1f}x the parameters (Table 4), and at about equal cost a "
            f"thinner separable network beats a shallower one by {thin['top1'] - shallow['top1']:.1f} "
            f"points (Table 5).")


# Section 3.1: "3x3 depthwise separable convolutions ... use between 8 to 9 times
# less computation than standard convolutions" (a range, so kept apart from the table).
SEPARABLE_3X3_SAVING = (8, 9)


class PaperComparison(Table):
    """Paper value, computed value and their difference, one row per paper number (notebook 03).

    ``rows`` keep the raw data (``key``, ``matches``, the ``PaperNumber``)
    beside the displayed columns; ``mismatches`` lists the rows outside the
    paper's rounding.
    """

    title = "MobileNets paper vs computed (match: the computed value rounds to the paper's)"

    def __init__(self, rows: list[dict]):
        super().__init__(["source", "quantity", "paper", "computed", "rounded", "difference",
                          "match", "note"], rows, numeric=("paper", "computed", "rounded", "difference"))

    @property
    def mismatches(self) -> list[dict]:
        return [r for r in self.rows if not r["matches"]]


def _digits_to_show(number: PaperNumber, computed: float, rounded: str) -> int:
    """Two digits more than the paper prints, or more where fewer would seem to round
    the other way (149.497 shown as 149.50 looks as if it rounds to 150)."""
    for extra in range(2, 7):
        shown = number.decimals + extra
        if number.rounded(float(f"{computed:.{shown}f}")) == rounded:
            break
    return shown


def _comparison_row(number: PaperNumber, raw: float) -> dict:
    computed = number.in_paper_units(raw)
    rounded = number.rounded(computed)
    matches = rounded == number.printed
    shown = _digits_to_show(number, computed, rounded)
    return {"key": number.key, "number": number, "computed_value": computed, "matches": matches,
            "source": number.source, "quantity": number.quantity,
            "paper": f"{number.printed}{number.unit}",
            "computed": f"{computed:.{shown}f}{number.unit}",
            "rounded": f"{rounded}{number.unit}",
            "difference": f"{computed - number.value:+.{shown}f}{number.unit}",
            "match": "yes" if matches else "NO",
            "note": "" if matches else number.note or "(no known reason)"}


def compare_with_paper(computed: Mapping[str, float]) -> PaperComparison:
    """Set computed values beside the paper's (notebook 03).

    ``computed`` maps keys of ``MOBILENET_PAPER`` to raw values: counts of
    mult-adds or parameters for numbers in millions ("M"), fractions (0.9486,
    not 94.86) for percentages. Rows follow the paper's order. A value
    matches when, rounded to the digits the paper prints, it reads as the paper.
    """
    unknown = [key for key in computed if key not in MOBILENET_PAPER]
    if unknown:
        raise KeyError(f"not a number of the MobileNets paper: {', '.join(map(repr, unknown))}; "
                       f"keys look like 'table4.mobilenet.mult_adds' (see MOBILENET_PAPER)")
    rows = [_comparison_row(number, computed[key])
            for key, number in MOBILENET_PAPER.items() if key in computed]
    return PaperComparison(rows)
