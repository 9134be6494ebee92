"""Checking a student's exercise answers, with a one-line verdict (notebook 02's exercises)."""
from __future__ import annotations

import math
import numbers

import torch

NOT_ANSWERED = "No answer yet: replace the ... in the cell above and run both cells."


def _matches(answer, expected) -> bool:
    if isinstance(expected, torch.Tensor):
        try:
            answer = torch.as_tensor(answer, dtype=expected.dtype)
        except (TypeError, ValueError, RuntimeError):
            return False
        return answer.shape == expected.shape and torch.allclose(answer, expected, atol=1e-4)
    if isinstance(expected, numbers.Real) and not isinstance(expected, bool):
        return (isinstance(answer, numbers.Real) and not isinstance(answer, bool)
                and math.isclose(answer, expected, rel_tol=1e-6))
    return answer == expected


def check(answer, expected, hint: str = "") -> bool:
    """Print whether ``answer`` is right, and return it; ``...`` or None means "not answered".

    ``expected`` is the right value (numbers and tensors compare with a small
    tolerance) or a function that takes the answer and says whether it is
    right, for questions with more than one right answer. ``hint`` is shown
    after a wrong answer. Notebook 02.
    """
    if answer is ... or answer is None:
        print(NOT_ANSWERED)
        return False
    try:
        right = bool(expected(answer)) if callable(expected) else _matches(answer, expected)
    except Exception as error:  # a malformed answer is a wrong answer, not a crash
        print(f"Not quite: checking the answer raised {type(error).__name__}: {error}")
        return False
    print("Right!" if right else f"Not yet. {hint}".rstrip())
    return right
