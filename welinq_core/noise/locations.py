"""Noise locations drawn per shot: one rendering serves every shot's own schedule.

When every shot draws its own schedule (:mod:`welinq_core.shot_schedules`), each
*location* -- a consumed Bell pair, a data qubit's idle wait before a step, a packet's
copy waiting before a step -- either keeps its base channel or gets a Pauli drawn
for that shot. Rendering one circuit per combination of drawn Paulis costs a whole
noise stage, conversion and simulator call per combination. Instead,
:func:`~welinq_core.noise.add_noise` with ``drawn_locations`` renders the program
once and makes each listed location a drawn event
(:class:`~welinq_core.noise.drawn.DrawnEvent`) with one outcome per Pauli
(``I``, ``X``, ``Y``, ``Z``, in that order), whose probabilities are the location's
base channel and whose inserts are the fixed gates of that Pauli (its data Paulis,
and ``x`` on the control around every later gate of a packet whose copy it flips).
A shot that keeps the base channel draws the outcome from those probabilities; a
shot with a drawn Pauli takes that outcome. Either way the location's error is
distributed as in the circuit rendered for that shot alone, so the sampling stays
exact (``tests/noise/test_render_once.py`` compares density matrices to 1e-9).

Examples:
    >>> loc = DrawnLocations(pairs=(0,), idles=((3, 1),), copies=())
    >>> loc.keys()
    [('pair', 0), ('idle', 3, 1)]
    >>> OUTCOME_OF["Y"]
    2
"""

from __future__ import annotations

import dataclasses
from typing import Any

from welinq_core.errors import OptionsError

__all__ = ["DrawnLocations", "OUTCOME_OF"]

#: Outcome index of each Pauli in a location's drawn event.
OUTCOME_OF = {"I": 0, "X": 1, "Y": 2, "Z": 3}


@dataclasses.dataclass(frozen=True, kw_only=True)
class DrawnLocations:
    """Locations rendered as drawn events with one outcome per Pauli.

    Attributes:
        pairs: Ledger indices of Bell pairs.
        idles: ``(step, qubit)`` of data-qubit idle waits right before ``step``.
        copies: Steps (remote gates or closes) before which a packet's copy waits.
    """

    pairs: tuple[int, ...] = ()
    idles: tuple[tuple[int, int], ...] = ()
    copies: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for name in ("pairs", "copies"):
            for v in getattr(self, name):
                if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                    raise OptionsError(f"DrawnLocations {name} entry {v!r} must be a non-negative integer")
        for v in self.idles:
            if len(v) != 2 or any(isinstance(x, bool) or not isinstance(x, int) or x < 0 for x in v):
                raise OptionsError(f"DrawnLocations idles entry {v!r} must be (step, qubit), non-negative integers")

    def keys(self) -> list[tuple[Any, ...]]:
        """Every location as ``("pair", k)``, ``("idle", step, qubit)`` or ``("copy", step)``."""
        return ([("pair", k) for k in self.pairs] + [("idle", s, q) for s, q in self.idles]
                + [("copy", s) for s in self.copies])
