"""The noise stage's output: the circuit to sample and where the noise went."""

from __future__ import annotations

import dataclasses
from typing import Any

from welinq_core.circuit import Circuit
from welinq_core.noise.drawn import DrawnEvents

__all__ = ["NoisyProgram"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class NoisyProgram:
    """The circuit to sample, with the evidence of where the noise went.

    Attributes:
        circuit: The noisy IR circuit. Qubits ``0..num_data_qubits-1`` are the
            user's; classical bits ``0..num_user_clbits-1`` are the user's.
        num_user_clbits: Classical bits reported to the user.
        num_data_qubits: The user's qubits.
        mode: ``"explicit"`` or ``"effective"``.
        summary: Plain-data summary for the report (see :func:`add_noise`).
        drawn: With ``effective_rendering="drawn"``, the events drawn per shot
            (:class:`~welinq_core.noise.drawn.DrawnEvents`); ``circuit`` then lacks
            them and is not the whole channel on its own. None otherwise.
        location_events: With ``drawn_locations``, the index in ``drawn.events`` of every
            drawn location's event (``("pair", k)``, ``("idle", step, qubit)``,
            ``("copy", step)``; see :mod:`~welinq_core.noise.locations`). None otherwise.
    """

    circuit: Circuit
    num_user_clbits: int
    num_data_qubits: int
    mode: str
    summary: dict[str, Any]
    drawn: DrawnEvents | None = None
    location_events: dict[tuple, int] | None = None

