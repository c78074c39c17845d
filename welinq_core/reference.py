"""An exact reference simulator for the IR, used to verify every other stage.

The state is a finite mixture of pure branches, each labelled by its classical
bits. Measurements split branches, Pauli channels split them with their
probabilities, conditions read each branch's bits, and branches that have become
identical (same bits, same state up to a global phase) are merged. Scratch bits
that will never be read again are forgotten so that branches can merge, which
keeps the protocols of the lowering (whose corrections restore one state for
every outcome) cheap to simulate exactly.

Intended for small circuits (up to ~14 qubits); the numbers it returns are exact
to floating-point precision, not sampled.

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> bell = Circuit(num_qubits=2, num_clbits=2, operations=[
    ...     Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1)),
    ...     Operation(name="measure", qubits=(0,), clbits=(0,)),
    ...     Operation(name="measure", qubits=(1,), clbits=(1,))])
    >>> {k: round(v, 12) for k, v in simulate(bell).probabilities().items()}
    {'00': 0.5, '11': 0.5}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np

from welinq_core import gates
from welinq_core.circuit import Circuit, Operation

__all__ = ["Branch", "MixedResult", "dead_scratch_bits", "simulate"]



@dataclasses.dataclass(frozen=True)
class Branch:
    """One pure branch: probability, classical bits, normalised state (big-endian tensor)."""

    weight: float
    bits: tuple[int, ...]
    state: np.ndarray


@dataclasses.dataclass(frozen=True)
class MixedResult:
    """The exact final mixture.

    Attributes:
        branches: Pure branches (weights sum to 1).
        num_qubits: Qubits simulated.
        num_clbits: Classical bits kept (the leading ``num_clbits`` bits).
    """

    branches: tuple[Branch, ...]
    num_qubits: int
    num_clbits: int

    def probabilities(self) -> dict[str, float]:
        """Distribution of the kept classical bits, keyed Qiskit-style (bit 0 rightmost)."""
        out: dict[str, float] = {}
        for b in self.branches:
            key = "".join(str(x) for x in reversed(b.bits[: self.num_clbits]))
            out[key] = out.get(key, 0.0) + b.weight
        return dict(sorted(out.items()))

    def density_matrix(self, qubits: Iterable[int] | None = None) -> np.ndarray:
        """Reduced density matrix of ``qubits`` (big-endian in the given order), all bits traced."""
        qs = list(range(self.num_qubits)) if qubits is None else list(qubits)
        rest = [q for q in range(self.num_qubits) if q not in qs]
        d = 2 ** len(qs)
        rho = np.zeros((d, d), dtype=complex)
        for b in self.branches:
            psi = np.transpose(b.state, qs + rest).reshape(d, -1)
            rho += b.weight * (psi @ psi.conj().T)
        return rho


def _apply(state: np.ndarray, u: np.ndarray, qubits: tuple[int, ...]) -> np.ndarray:
    k = len(qubits)
    t = u.reshape((2,) * (2 * k))
    out = np.tensordot(t, state, axes=(list(range(k, 2 * k)), list(qubits)))
    return np.moveaxis(out, list(range(k)), list(qubits))


def simulate(
    circuit: Circuit,
    *,
    keep_clbits: int | None = None,
    initial_state: np.ndarray | None = None,
    merge_tolerance: float = 1e-12,
) -> MixedResult:
    """Exactly simulate ``circuit`` (gates, measure, reset, conditions, Pauli channels).

    Args:
        circuit: The circuit.
        keep_clbits: Keep only the first ``keep_clbits`` classical bits in the result;
            the others are scratch bits, forgotten as soon as they are dead (never
            read before being overwritten). Defaults to keeping all.
        initial_state: Optional initial state vector (big-endian, length 2**n).
        merge_tolerance: Branches with the same bits whose states agree entrywise to within
            this tolerance, once their global phases are aligned, are merged. (An overlap test
            ``|<a|b>| ~ 1`` is only quadratic in the difference: it merged states that differ
            by a ``cp(2e-6)`` and lost their mixture at the 1e-7 level.)

    Returns:
        The final :class:`MixedResult`.
    """
    n = circuit.num_qubits
    keep = circuit.num_clbits if keep_clbits is None else keep_clbits
    if initial_state is None:
        psi = np.zeros((2,) * n, dtype=complex)
        psi[(0,) * n] = 1.0
    else:
        psi = np.asarray(initial_state, dtype=complex).reshape((2,) * n)
    branches = [Branch(1.0, (0,) * circuit.num_clbits, psi)]
    ops = circuit.operations
    dead_after = dead_scratch_bits(circuit, keep)

    for i, op in enumerate(ops):
        new: list[Branch] = []
        for br in branches:
            if op.condition is not None and not op.condition.is_satisfied_by(br.bits):
                new.append(br)
                continue
            new.extend(_step(br, op))
        forget = dead_after.get(i, [])
        if forget:
            new = [
                Branch(b.weight, tuple(0 if j in forget else x for j, x in enumerate(b.bits)), b.state)
                for b in new
            ]
        branches = _merge(new, merge_tolerance)
    branches = [Branch(b.weight, b.bits[:keep], b.state) for b in branches]
    return MixedResult(tuple(_merge(branches, merge_tolerance)), n, keep)


def _step(br: Branch, op: Operation) -> list[Branch]:
    if op.name == "barrier":
        return [br]
    if op.name in ("measure", "reset"):
        out = [br]
        targets = op.clbits if op.name == "measure" else (None,) * len(op.qubits)
        for q, c in zip(op.qubits, targets):
            out = [child for b in out for child in _collapse(b, q, c)]
        return out
    if op.name == "pauli_channel":
        out = []
        for label, p in op.pauli_terms:
            if p <= 0:
                continue
            st = br.state
            for q, ch in zip(op.qubits, label):
                if ch != "I":
                    st = _apply(st, gates.PAULI_MATRICES[ch], (q,))
            out.append(Branch(br.weight * p, br.bits, st))
        return out
    if op.name == "kraus":  # one branch per Kraus operator, weighted by its probability
        out = []
        for k in op.kraus_matrices():
            st = _apply(br.state, k, op.qubits)
            p = float(np.vdot(st, st).real)
            if p > 1e-14:
                out.append(Branch(br.weight * p, br.bits, st / np.sqrt(p)))
        return out
    u = gates.gate_matrix(op.name, op.params)
    return [Branch(br.weight, br.bits, _apply(br.state, u, op.qubits))]


def dead_scratch_bits(circuit: Circuit, keep: int) -> dict[int, list[int]]:
    """``{op index: scratch bits dead right after it}``: a classical bit ``>= keep`` dies after
    its last read before its next write (right after its write if it is never read).

    Examples:
        >>> from welinq_core.circuit import Operation
        >>> c = Circuit(num_qubits=1, num_clbits=1, operations=[
        ...     Operation(name="measure", qubits=(0,), clbits=(0,))])
        >>> dead_scratch_bits(c, keep=0)
        {0: [0]}
    """
    ops = circuit.operations
    reads: dict[int, list[int]] = {}
    writes: dict[int, list[int]] = {}
    for i, op in enumerate(ops):
        if op.condition is not None:
            for c in op.condition.clbits:
                reads.setdefault(c, []).append(i)
        for c in op.clbits:
            writes.setdefault(c, []).append(i)
    dead: dict[int, list[int]] = {}
    for c, ws in writes.items():
        if c < keep:
            continue
        rs = reads.get(c, [])
        for k, w in enumerate(ws):
            nxt = ws[k + 1] if k + 1 < len(ws) else len(ops)
            inside = [r for r in rs if w < r <= nxt]
            if inside and inside[-1] == nxt:  # read and overwritten by the same op: keep until then
                inside = inside[:-1]
            dead.setdefault(inside[-1] if inside else w, []).append(c)
    return dead


def _collapse(b: Branch, q: int, clbit: int | None) -> list[Branch]:
    """Project qubit ``q`` on 0 and 1; record the outcome in ``clbit`` (measure) or
    leave the qubit in |0> (reset, ``clbit`` None)."""
    out = []
    for v in (0, 1):
        proj = np.take(b.state, v, axis=q)
        p = float(np.vdot(proj, proj).real)
        if p < 1e-15:
            continue
        st = np.zeros_like(b.state)
        idx = [slice(None)] * b.state.ndim
        idx[q] = v if clbit is not None else 0
        st[tuple(idx)] = proj / np.sqrt(p)
        bits = b.bits
        if clbit is not None:
            bits = bits[:clbit] + (v,) + bits[clbit + 1 :]
        out.append(Branch(b.weight * p, bits, st))
    return out


def _merge(branches: list[Branch], tol: float) -> list[Branch]:
    groups: dict[tuple[int, ...], list[Branch]] = {}
    for b in branches:
        if b.weight <= 1e-15:
            continue
        bucket = groups.setdefault(b.bits, [])
        for k, other in enumerate(bucket):
            if _same_up_to_phase(other.state, b.state, tol):
                bucket[k] = Branch(other.weight + b.weight, other.bits, other.state)
                break
        else:
            bucket.append(b)
    return [b for bucket in groups.values() for b in bucket]


def _same_up_to_phase(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """Whether the unit vectors ``a`` and ``b`` are equal up to a global phase, entrywise to ``tol``."""
    overlap = np.vdot(a, b)
    if abs(abs(overlap) - 1.0) > 1e-6:
        return False
    return float(np.abs(a * (overlap / abs(overlap)) - b).max()) < tol
