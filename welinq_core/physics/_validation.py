"""Private helpers that check physical parameters and raise actionable errors.

Every helper raises :class:`~welinq_core.errors.PhysicsParameterError` whose
message names the offending value and says how to fix it.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from welinq_core.errors import PhysicsParameterError

__all__: list[str] = []


def as_generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Return a numpy Generator from an int seed, a Generator or None."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise PhysicsParameterError(
        f"seed={seed!r} is not usable; give an int, a numpy.random.Generator or None")


def real(name: str, value: object) -> float:
    """Check that value is a finite real number and return it as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise PhysicsParameterError(f"{name}={value!r} is not a real number; give a float")
    value_f = float(value)
    if not math.isfinite(value_f):
        raise PhysicsParameterError(f"{name}={value!r} is not finite; give a finite float")
    return value_f


def non_negative(name: str, value: object, hint: str = "") -> float:
    """Check value >= 0."""
    v = real(name, value)
    if v < 0:
        raise PhysicsParameterError(f"{name}={value!r} is negative; give {hint or 'a value >= 0'}")
    return v


def positive(name: str, value: object, hint: str = "") -> float:
    """Check value > 0."""
    v = real(name, value)
    if v <= 0:
        raise PhysicsParameterError(
            f"{name}={value!r} is not positive; give {hint or 'a value > 0'}")
    return v


def positive_or_inf(name: str, value: object, hint: str = "") -> float:
    """Check value > 0, allowing math.inf."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value == math.inf:
        return math.inf
    return positive(name, value, hint)


def probability(name: str, value: object, hint: str = "") -> float:
    """Check 0 <= value <= 1."""
    v = real(name, value)
    if not 0.0 <= v <= 1.0:
        raise PhysicsParameterError(
            f"{name}={value!r} is outside [0, 1]; give {hint or 'a probability in [0, 1]'}")
    return v


def choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    """Check that value is one of the allowed strings."""
    if value not in allowed:
        raise PhysicsParameterError(
            f"{name}={value!r} is not recognised; choose one of {', '.join(map(repr, allowed))}")
    return str(value)


def positive_int(name: str, value: object) -> int:
    """Check value is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise PhysicsParameterError(f"{name}={value!r} is not a positive integer; give an int >= 1")
    return int(value)
