"""Exact number checks shared by constructors and options.

Python and NumPy numbers are accepted alike (``np.int64(4)``, ``np.float32(0.9)``)
and returned as Python ``int``/``float``; booleans, strings, NaN and infinities are
refused with a message naming the value and the expected range.

Examples:
    >>> import numpy as np
    >>> as_int("shots", np.int64(100), minimum=1)
    100
    >>> as_real("fidelity", np.float32(0.5), minimum=0.25, maximum=1.0)
    0.5
    >>> as_int("shots", True, minimum=1)
    Traceback (most recent call last):
    ...
    welinq_core.errors.OptionsError: shots=True must be an integer >= 1; got a bool
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from welinq_core.errors import OptionsError, WelinqError

__all__ = ["as_int", "as_real"]


def _range(minimum: float | None, maximum: float | None, strict_min: bool = False) -> str:
    lo = None if minimum is None else f"{'>' if strict_min else '>='} {minimum}"
    if maximum is None:
        return lo or ""
    if lo is None:
        return f"<= {maximum}"
    if not strict_min:
        return f"in [{minimum}, {maximum}]"
    return f"in ({minimum}, {maximum}]"


def as_int(name: str, value: object, *, minimum: int | None = None, maximum: int | None = None,
           error: type[WelinqError] = OptionsError, owner: str = "") -> int:
    """``value`` as a Python int within ``[minimum, maximum]``, or raise ``error``.

    Integral floats are refused: an integer field takes an integer.
    """
    if type(value) is int and (minimum is None or value >= minimum) and (maximum is None or value <= maximum):
        return value  # the common case, without the checks below
    who = f"{owner}: " if owner else ""
    want = f"an integer {_range(minimum, maximum)}".rstrip()
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise error(f"{who}{name}={value!r} must be {want}; got a {type(value).__name__}")
    v = int(value)
    if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
        limit = " (the limit of this welinq)" if maximum is not None and v > maximum else ""
        raise error(f"{who}{name}={v} must be {want}{limit}")
    return v


def as_real(name: str, value: object, *, minimum: float | None = None, maximum: float | None = None,
            strict_min: bool = False, error: type[WelinqError] = OptionsError, owner: str = "",
            hint: str = "") -> float:
    """``value`` as a finite Python float within the range, or raise ``error``."""
    if type(value) is float and math.isfinite(value) and (maximum is None or value <= maximum) and (
            minimum is None or (value > minimum if strict_min else value >= minimum)):
        return value  # the common case, without the checks below
    who = f"{owner}: " if owner else ""
    want = f"a finite number {_range(minimum, maximum, strict_min)}".rstrip()
    tail = f"; {hint}" if hint else ""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise error(f"{who}{name}={value!r} must be {want}; got a {type(value).__name__}{tail}")
    v = float(value)
    if not math.isfinite(v):
        raise error(f"{who}{name}={value!r} must be {want}{tail}")
    if minimum is not None and (v <= minimum if strict_min else v < minimum):
        raise error(f"{who}{name}={v!r} must be {want}{tail}")
    if maximum is not None and v > maximum:
        raise error(f"{who}{name}={v!r} must be {want}{tail}")
    return v
