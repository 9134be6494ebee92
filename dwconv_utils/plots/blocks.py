"""Figure of notebook 07: each block variant drawn as its sequence of operations."""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

from ..style import COLORS, apply_style

# One colour per kind of operation: the convolution steps keep the collection's concept
# colours; BatchNorm and the activation are neutral, never a channel's red, green or blue.
OP_COLORS = {"depthwise": COLORS["depthwise"], "pointwise": COLORS["pointwise"],
             "conv": COLORS["standard"], "batchnorm": "#c7c7c7", "relu": COLORS["other"],
             "selu": COLORS["other"]}
LIGHT = {"batchnorm", "relu", "selu"}  # dark text on these


def _kind(op: str) -> str:
    return op.split()[0]


def plot_block_ops(blocks: dict, title: str = "Inside one block: the order of the operations"):
    """One row per block variant: its operations left to right as boxes (``ReferenceCNN.block_ops``),
    coloured by kind, with the variant's label on the left (notebook 07). ``blocks`` maps a label
    to a ``ReferenceCNN`` (or anything with ``block_ops()``)."""
    if not blocks:
        raise ValueError("plot_block_ops needs at least one block: {label: ReferenceCNN(...)}")
    apply_style()
    rows = {label: model.block_ops() for label, model in blocks.items()}
    longest = max(len(ops) for ops in rows.values())
    label_room = 0.11 * max(len(label) for label in rows)  # box widths of text at 14 pt
    fig, ax = plt.subplots(figsize=(1.55 * (longest + label_room), 1.0 + 0.8 * len(rows)),
                           layout="constrained")
    for y, (label, ops) in enumerate(reversed(list(rows.items()))):
        ax.text(-0.55, y, label, ha="right", va="center", fontsize=14)
        for x, op in enumerate(ops):
            kind = _kind(op)
            ax.add_patch(FancyBboxPatch((x - 0.42, y - 0.3), 0.84, 0.6, boxstyle="round,pad=0.02",
                                        facecolor=OP_COLORS.get(kind, COLORS["other"]), edgecolor="none"))
            ax.text(x, y, op.replace(" ", "\n", 1) if kind in ("depthwise", "pointwise") else op,
                    ha="center", va="center", fontsize=13,
                    color="black" if kind in LIGHT else "white")
            if x:
                ax.annotate("", (x - 0.44, y), (x - 0.56, y), arrowprops={"arrowstyle": "->", "lw": 1.5})
    ax.set(xlim=(-0.5 - label_room, longest - 0.5), ylim=(-0.5, len(rows) - 0.5), title=title)
    ax.axis("off")
    return fig
