"""Seeds: checked at the door, and derived for every task from the user's one seed.

A job's circuits, shot groups and sweep points each get their own seed, spawned
from the user's seed with :class:`numpy.random.SeedSequence`. Children of one
seed are statistically independent of each other and of the children of any
other seed, so two copies of a circuit in one job, or neighbouring user seeds,
never return shifted copies of the same samples (as ``seed + index`` would).
The seed of a task depends only on the user's seed and the task's index, never
on which worker runs it or when, so results do not depend on the number of
workers.

Examples:
    >>> spawn_seeds(7, 3) == spawn_seeds(7, 3)
    True
    >>> len(set(spawn_seeds(7, 3) + spawn_seeds(8, 3)))
    6
    >>> check_seed("7", name="seed_simulator")
    Traceback (most recent call last):
    ...
    welinq_core.errors.OptionsError: seed_simulator='7' must be an integer in [0, 2**63 - 1] or None; got a str
"""

from __future__ import annotations

import numbers

import numpy as np

from welinq_core.errors import OptionsError

__all__ = ["MAX_SEED", "check_seed", "spawn_seeds", "spawn_seed_sequences"]

#: The largest seed accepted: Aer and NumPy both take any integer in [0, 2**63 - 1].
MAX_SEED = 2**63 - 1


def check_seed(seed: object, *, name: str = "seed") -> int | None:
    """Return ``seed`` as a Python int (or None), or raise :class:`OptionsError`.

    Python and NumPy integers are accepted, as are floats with an integral value
    (``7.0``); booleans, strings, fractional numbers and values outside
    ``[0, 2**63 - 1]`` are refused with a message that names the value.
    """
    if seed is None:
        return None
    kind = type(seed).__name__
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, numbers.Real):
        raise OptionsError(f"{name}={seed!r} must be an integer in [0, 2**63 - 1] or None; got a {kind}")
    if not isinstance(seed, numbers.Integral):
        as_float = float(seed)
        if not as_float.is_integer():
            raise OptionsError(f"{name}={seed!r} must be a whole number in [0, 2**63 - 1]; round it first")
        seed = int(as_float)
    value = int(seed)
    if not 0 <= value <= MAX_SEED:
        raise OptionsError(f"{name}={value} is outside [0, 2**63 - 1]; pick a seed in that range")
    return value


def spawn_seed_sequences(seed: int | None, count: int) -> list[np.random.SeedSequence]:
    """``count`` independent child seed sequences of ``seed`` (fresh entropy when None)."""
    return np.random.SeedSequence(check_seed(seed)).spawn(int(count))


def spawn_seeds(seed: int | None, count: int) -> list[int]:
    """``count`` independent integer seeds in ``[0, 2**63 - 1]`` derived from ``seed``.

    Task ``i`` always gets the same seed for the same user seed, whatever else runs.
    With ``seed=None`` the children come from fresh OS entropy (a new draw each call).
    """
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
            for child in spawn_seed_sequences(seed, count)]
