"""Argument checks shared by the package: one clear message format for bad input.

Every message names the argument, shows the value that was given, and says
what is allowed, so a student can fix the call without reading our code.
"""
from __future__ import annotations

import numbers
from typing import Iterable, Sequence

from .i18n import N_, _


def _shown(value) -> str:
    return repr(value)


# Whole sentences per kind of integer (no adjective glued in), as the catalogue wants them.
_NOT_AN_INT = {1: N_("{name} must be a positive integer, got {value} of type {type}"),
               0: N_("{name} must be a non-negative integer, got {value} of type {type}")}
_TOO_SMALL = {1: N_("{name} must be a positive integer (>= 1), got {value}"),
              0: N_("{name} must be a non-negative integer (>= 0), got {value}")}


def _int_at_least(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(_(_NOT_AN_INT[minimum]).format(name=name, value=_shown(value),
                                                       type=type(value).__name__))
    if value < minimum:
        raise ValueError(_(_TOO_SMALL[minimum]).format(name=name, value=_shown(value)))
    return int(value)


def positive_int(name: str, value) -> int:
    """Return ``value`` if it is an int >= 1, else raise a clear error."""
    return _int_at_least(name, value, 1)


def non_negative_int(name: str, value) -> int:
    """Return ``value`` if it is an int >= 0, else raise a clear error."""
    return _int_at_least(name, value, 0)


def pair(name: str, value, check=positive_int) -> tuple[int, int]:
    """An int or a pair of ints (height, width), each passing ``check``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(_("{name} must be an integer or a (height, width) pair, got {value} "
                               "with {count} entries").format(name=name, value=_shown(value),
                                                              count=len(value)))
        return check(f"{name}[0]", value[0]), check(f"{name}[1]", value[1])
    v = check(name, value)
    return v, v


def choice(name: str, value, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(_("{name} must be one of {options}; got {value}").format(
            name=name, options=options, value=_shown(value)))
    return value


def boolean(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(_("{name} must be True or False, got {value} of type {type}").format(
            name=name, value=_shown(value), type=type(value).__name__))
    return value


def positive_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(_("{name} must be a positive number, got {value} of type {type}").format(
            name=name, value=_shown(value), type=type(value).__name__))
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError(_("{name} must be a positive, finite number, got {value}").format(
            name=name, value=_shown(value)))
    return value


def shape(name: str, value) -> tuple[int, ...]:
    """A tensor shape: a non-empty sequence of positive ints."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) == 0:
        raise TypeError(_("{name} must be a non-empty sequence of positive integers such as "
                          "(1, 1, 28, 28), got {value}").format(name=name, value=_shown(value)))
    return tuple(positive_int(f"{name}[{i}]", v) for i, v in enumerate(value))
