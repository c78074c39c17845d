"""Noise channels as Pauli terms: depolarizing, T1/T2 idling, Bell-pair states.

Every noise source of the stage is a Pauli channel, written as ``(label, probability)``
terms over some qubits (``"IX"`` = X on the second qubit); :func:`pauli_channel_op`
turns terms into the IR's ``pauli_channel`` operation.

Examples:
    >>> pauli_channel_op((0,), (("I", 0.9), ("X", 0.1))).pauli_terms
    (('I', 0.9), ('X', 0.1))
    >>> pauli_channel_op((0,), (("I", 1.0),)) is None
    True
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence

import numpy as np

from welinq_core.circuit import Condition, Operation
from welinq_core.cluster import QPU
from welinq_core.errors import OptionsError
from welinq_core.lowering import DistributedProgram
from welinq_core.noise.pauli import PAULIS

__all__ = [
    "depolarizing_terms",
    "idle_pauli_probabilities",
    "idle_pauli_table",
    "default_pair_states",
    "check_pair_states",
    "pauli_channel_op",
]


@functools.lru_cache(maxsize=256)
def depolarizing_terms(p: float, num_qubits: int) -> tuple[tuple[str, float], ...]:
    """Terms of the n-qubit depolarizing channel: identity 1-p, each other Pauli p/(4^n-1).

    Examples:
        >>> depolarizing_terms(0.03, 1)
        (('I', 0.97), ('X', 0.01), ('Y', 0.01), ('Z', 0.01))
    """
    labels = ["".join(t) for t in itertools.product(PAULIS, repeat=num_qubits)]
    q = p / (len(labels) - 1)
    return tuple((lab, 1.0 - p if k == 0 else q) for k, lab in enumerate(labels))


def idle_pauli_probabilities(qpu: QPU, duration_s: float) -> tuple[float, float, float, float]:
    """Pauli-twirled T1/T2 idling of a data qubit (Ghosh, Fowler, Geller PRA 86, 062318 (2012)).

    ``pX = pY = (1 - e^{-t/T1})/4``, ``pZ = (1 - e^{-t/T2})/2 - (1 - e^{-t/T1})/4``.
    Without ``t2_s`` the pure-relaxation limit ``T2 = 2 T1`` is used; without
    ``t1_s`` only dephasing acts.

    Examples:
        >>> q = QPU(name="a", num_data_qubits=1, t1_s=1.0, t2_s=1.0)
        >>> [round(x, 6) for x in idle_pauli_probabilities(q, 0.1)]
        [0.928628, 0.023791, 0.023791, 0.023791]
    """
    if duration_s <= 0 or (qpu.t1_s is None and qpu.t2_s is None):
        return (1.0, 0.0, 0.0, 0.0)
    a = -math.expm1(-duration_s / qpu.t1_s) if qpu.t1_s is not None else 0.0
    t2 = qpu.t2_s if qpu.t2_s is not None else 2 * qpu.t1_s  # type: ignore[operator]
    b = -math.expm1(-duration_s / t2)
    px = a / 4
    pz = max(b / 2 - a / 4, 0.0)
    return (1.0 - 2 * px - pz, px, px, pz)


def idle_pauli_table(qpu: QPU, durations_s: np.ndarray) -> np.ndarray:
    """:func:`idle_pauli_probabilities` for many durations at once: shape ``(len, 4)``.

    Examples:
        >>> q = QPU(name="a", num_data_qubits=1, t1_s=1.0, t2_s=0.5)
        >>> table = idle_pauli_table(q, np.array([0.0, 0.1, 2.0]))
        >>> bool(np.allclose(table, [idle_pauli_probabilities(q, t) for t in (0.0, 0.1, 2.0)]))
        True
    """
    t = np.maximum(np.asarray(durations_s, dtype=float), 0.0)
    out = np.zeros(t.shape + (4,))
    out[..., 0] = 1.0
    if qpu.t1_s is None and qpu.t2_s is None:
        return out
    a = -np.expm1(-t / qpu.t1_s) if qpu.t1_s is not None else np.zeros_like(t)
    t2 = qpu.t2_s if qpu.t2_s is not None else 2 * qpu.t1_s  # type: ignore[operator]
    b = -np.expm1(-t / t2)
    px = a / 4
    pz = np.maximum(b / 2 - a / 4, 0.0)
    out[..., 0] = 1.0 - 2 * px - pz
    out[..., 1] = px
    out[..., 2] = px
    out[..., 3] = pz
    return out


def default_pair_states(program: DistributedProgram) -> tuple[tuple[float, float, float, float], ...]:
    """Bell-diagonal probabilities of every ledger pair when nothing better is known.

    Each pair is its link's delivered state (``Link.pauli_probabilities``): a link's
    pair is the state when both nodes hold the herald (``Link.from_physics`` already
    aged it over the herald latency, docs/physics.md 2.3), and the schedule ages it
    only from then on. Storage before use needs the schedule's times
    (``schedule(...).pair_states()``).
    """
    return tuple(
        tuple(float(x) for x in program.cluster.link(*use.link).pauli_probabilities)  # type: ignore[misc]
        for use in program.bell_pairs
    )


def check_pair_states(states: Sequence[Sequence[float]], n: int) -> tuple[tuple[float, float, float, float], ...]:
    if len(states) != n:
        raise OptionsError(
            f"pair_states has {len(states)} entries but the program consumes {n} Bell pairs; "
            "give one (p_I, p_X, p_Y, p_Z) per ledger pair, in ledger order"
        )
    out = []
    for k, s in enumerate(states):
        p = tuple(float(x) for x in s)
        if len(p) != 4 or min(p) < -1e-12 or abs(sum(p) - 1) > 1e-9:
            raise OptionsError(
                f"pair_states[{k}]={p!r} must be 4 non-negative probabilities (p_I, p_X, p_Y, p_Z) "
                "summing to 1"
            )
        out.append(tuple(max(x, 0.0) for x in p))
    return tuple(out)  # type: ignore[return-value]


def pauli_channel_op(qubits: Sequence[int], terms: Sequence[tuple[str, float]], condition: Condition | None = None) -> Operation | None:
    """A pauli_channel op with merged labels, or None when it is the identity.

    The channel is built once per noise table (and condition) and copied onto ``qubits``:
    a big circuit repeats a few tables on many qubits.
    """
    qubits = tuple(qubits)
    key = tuple(terms)
    try:
        template = _channel_template(key, len(qubits), condition)
    except TypeError:  # unhashable terms (e.g. lists): no cache
        template = _channel_template.__wrapped__(key, len(qubits), condition)
    return None if template is None else template.on_qubits(qubits)


@functools.lru_cache(maxsize=4096)
def _channel_template(terms: tuple[tuple[str, float], ...], k: int, condition: Condition | None) -> Operation | None:
    """:func:`pauli_channel_op` on qubits ``0..k-1``."""
    merged: dict[str, float] = {}
    for lab, p in terms:
        if p > 0:
            merged[lab] = merged.get(lab, 0.0) + p
    if all(set(lab) <= {"I"} for lab in merged):
        return None
    total = sum(merged.values())
    items = sorted(merged.items(), key=lambda kv: (kv[0] != "I" * k, kv[0]))
    items = [(lab, p / total) for lab, p in items]
    return Operation(name="pauli_channel", qubits=tuple(range(k)), pauli_terms=tuple(items), condition=condition)
