"""Argument checks shared by the package: one clear message format for bad input.

Every message names the argument, shows the value that was given, and says
what is allowed, so a student can fix the call without reading our code.
"""
from __future__ import annotations

import numbers
from typing import Iterable, Sequence


def _shown(value) -> str:
    return repr(value)


def _int_at_least(name: str, value, minimum: int, noun: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a {noun} integer, got {_shown(value)} "
                        f"of type {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be a {noun} integer (>= {minimum}), got {_shown(value)}")
    return int(value)


def positive_int(name: str, value) -> int:
    """Return ``value`` if it is an int >= 1, else raise a clear error."""
    return _int_at_least(name, value, 1, "positive")


def non_negative_int(name: str, value) -> int:
    """Return ``value`` if it is an int >= 0, else raise a clear error."""
    return _int_at_least(name, value, 0, "non-negative")


def pair(name: str, value, check=positive_int) -> tuple[int, int]:
    """An int or a pair of ints (height, width), each passing ``check``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an integer or a (height, width) pair, "
                             f"got {_shown(value)} with {len(value)} entries")
        return check(f"{name}[0]", value[0]), check(f"{name}[1]", value[1])
    v = check(name, value)
    return v, v


def choice(name: str, value, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}; got {_shown(value)}")
    return value


def boolean(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {_shown(value)} "
                        f"of type {type(value).__name__}")
    return value


def positive_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {_shown(value)} "
                        f"of type {type(value).__name__}")
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError(f"{name} must be a positive, finite number, got {_shown(value)}")
    return value


def shape(name: str, value) -> tuple[int, ...]:
    """A tensor shape: a non-empty sequence of positive ints."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) == 0:
        raise TypeError(f"{name} must be a non-empty sequence of positive integers such as "
                        f"(1, 1, 28, 28), got {_shown(value)}")
    return tuple(positive_int(f"{name}[{i}]", v) for i, v in enumerate(value))
