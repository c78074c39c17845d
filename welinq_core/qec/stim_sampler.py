"""Sample Clifford IR circuits with stim: the stabilizer engine for big Clifford runs.

:func:`to_stim` translates a :class:`welinq_core.circuit.Circuit` whose gates are Clifford
into a :class:`stim.Circuit`: gates map one to one, ``measure`` to ``M`` (the record of
each classical bit is tracked), ``reset`` to ``R``, a ``pauli_channel`` (any number of
qubits, any terms: the correlated channels of the effective mode) to an exact chain of
``CORRELATED_ERROR``/``ELSE_CORRELATED_ERROR``, and a Pauli correction conditioned on one
measured bit (the explicit protocol's feed-forward) to a measurement-controlled Pauli
(``CX rec[-k] q``). :func:`stim_incompatibility` says why a circuit cannot be
translated (a non-Clifford gate, a multi-bit condition, a conditioned non-Pauli gate,
...). :func:`sample_clbits` samples the classical bits with stim's Pauli-frame sampler
(Gidney, Quantum 5, 497 (2021)): all shots at once, bit-packed.

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> c = Circuit(num_qubits=2, num_clbits=2, operations=[
    ...     Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1)),
    ...     Operation(name="measure", qubits=(0,), clbits=(0,)),
    ...     Operation(name="measure", qubits=(1,), clbits=(1,))])
    >>> bits = sample_clbits(c, shots=1000, seed=1)
    >>> bits.shape, bool((bits[:, 0] == bits[:, 1]).all())
    ((1000, 2), True)
    >>> sorted(set(sample_memory(c, shots=100, seed=1)))
    [0, 3]
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

import numpy as np
import stim

from welinq_core.circuit import Circuit, Operation
from welinq_core.errors import UnsupportedGateError
from welinq_core.seeding import check_seed

__all__ = ["STIM_GATES", "StimProgram", "sample_clbits", "sample_memory", "stim_incompatibility", "to_stim"]

#: IR gate name -> stim gate name, for the Clifford gates.
STIM_GATES: dict[str, str] = {
    "id": "I", "x": "X", "y": "Y", "z": "Z", "h": "H", "s": "S", "sdg": "S_DAG", "sx": "SQRT_X",
    "sxdg": "SQRT_X_DAG", "cx": "CX", "cy": "CY", "cz": "CZ", "swap": "SWAP",
}
_CONTROLLED_PAULI = {"x": "CX", "y": "CY", "z": "CZ"}


@dataclasses.dataclass(frozen=True, kw_only=True)
class StimProgram:
    """A stim translation of an IR circuit.

    Attributes:
        circuit: The stim circuit.
        clbit_records: For each classical bit, the index of the measurement whose result it
            holds at the end, or -1 if no measurement writes it (it stays 0).
    """

    circuit: stim.Circuit
    clbit_records: tuple[int, ...]


def _op_problem(op: Operation) -> str | None:
    if op.name in ("barrier", "pauli_channel", "measure", "reset"):
        if op.condition is not None and op.name != "barrier":
            return f"a conditioned {op.name}"
        return None
    if op.name not in STIM_GATES:
        return f"the non-Clifford gate {op.name!r}"
    if op.condition is not None:
        if op.name not in _CONTROLLED_PAULI:
            return f"a classically conditioned {op.name!r} (only Pauli corrections can be fed forward)"
        if len(op.condition.clbits) != 1:
            return "a condition on several classical bits"
    return None


def stim_incompatibility(circuit: Circuit) -> str | None:
    """Why ``circuit`` cannot be run on stim, or None if it can.

    Examples:
        >>> from welinq_core.circuit import Circuit, Operation
        >>> stim_incompatibility(Circuit(num_qubits=1, operations=[Operation(name="t", qubits=(0,))]))
        "the non-Clifford gate 't' on qubits (0,)"
    """
    for op in circuit.operations:
        problem = _op_problem(op)
        if problem is not None:
            return f"{problem} on qubits {op.qubits}"
    return None


def _pauli_channel_lines(op: Operation) -> list[str]:
    """Exact mixture: E(p1) P1, ELSE(p2 / (1 - p1)) P2, ... over the non-identity terms.

    A uniform depolarizing channel on one or two qubits becomes ``DEPOLARIZE1/2``.
    """
    k = len(op.qubits)
    if k <= 2:
        errors = {label: p for label, p in op.pauli_terms if set(label) != {"I"} and p > 0}
        values = list(errors.values())
        if len(errors) == 4**k - 1 and max(values) - min(values) <= 1e-15 * max(values):
            return [f"DEPOLARIZE{k}({sum(values)!r}) " + " ".join(str(q) for q in op.qubits)]
    lines = []
    remaining = 1.0
    for label, p in op.pauli_terms:
        if set(label) == {"I"} or p <= 0:
            continue
        targets = " ".join(f"{c}{q}" for c, q in zip(label, op.qubits) if c != "I")
        conditional = min(1.0, p / remaining) if remaining > 1e-15 else 1.0
        name = "ELSE_CORRELATED_ERROR" if lines else "CORRELATED_ERROR"
        lines.append(f"{name}({conditional!r}) {targets}")
        remaining -= p
    return lines


def to_stim(circuit: Circuit) -> StimProgram:
    """Translate a Clifford IR circuit into stim.

    Raises:
        UnsupportedGateError: If the circuit has something stim cannot run (names it).
    """
    reason = stim_incompatibility(circuit)
    if reason is not None:
        raise UnsupportedGateError(
            f"method='stim' cannot run this circuit: it has {reason}; use method='automatic' "
            "(stim is chosen automatically when it can run the circuit)")
    # built as text and parsed once: appending instruction by instruction is quadratic-ish in stim
    lines: list[str] = []
    record_of = [-1] * circuit.num_clbits
    num_measurements = 0
    for op in circuit.operations:
        name = op.name
        qubits = " ".join(str(q) for q in op.qubits)
        if name == "barrier":
            lines.append("TICK")
        elif name == "measure":
            lines.append(f"M {qubits}")
            for c in op.clbits:
                record_of[c] = num_measurements
                num_measurements += 1
        elif name == "reset":
            lines.append(f"R {qubits}")
        elif name == "pauli_channel":
            lines.extend(_pauli_channel_lines(op))
        elif op.condition is None:
            lines.append(f"{STIM_GATES[name]} {qubits}")
        else:
            bit, value = op.condition.clbits[0], op.condition.value
            rec = record_of[bit]
            if value == 0:  # applied when the bit is 0: apply, and undo when it is 1
                lines.append(f"{STIM_GATES[name]} {qubits}")
            if rec >= 0:
                lines.append(f"{_CONTROLLED_PAULI[name]} rec[{rec - num_measurements}] {op.qubits[0]}")
    return StimProgram(circuit=stim.Circuit("\n".join(lines)), clbit_records=tuple(record_of))


_PROGRAMS: OrderedDict[int, tuple[Circuit, StimProgram]] = OrderedDict()


def _cached_program(circuit: Circuit) -> StimProgram:
    """:func:`to_stim`, remembered for the last few circuit objects (compiled programs are reused)."""
    hit = _PROGRAMS.get(id(circuit))
    if hit is not None and hit[0] is circuit:
        _PROGRAMS.move_to_end(id(circuit))
        return hit[1]
    program = to_stim(circuit)
    _PROGRAMS[id(circuit)] = (circuit, program)
    while len(_PROGRAMS) > 16:
        _PROGRAMS.popitem(last=False)
    return program


def sample_clbits(circuit: Circuit | StimProgram, *, shots: int, seed: int | None = None) -> np.ndarray:
    """Sample the classical bits: a ``(shots, num_clbits)`` uint8 array (bit ``i`` in column ``i``)."""
    program = circuit if isinstance(circuit, StimProgram) else _cached_program(circuit)
    seed = check_seed(seed, name="seed")
    num_clbits = len(program.clbit_records)
    if program.circuit.num_measurements == 0:
        return np.zeros((shots, num_clbits), dtype=np.uint8)
    sampler = program.circuit.compile_sampler(seed=seed)
    records = sampler.sample(shots, bit_packed=False).astype(np.uint8)
    out = np.zeros((shots, num_clbits), dtype=np.uint8)
    idx = np.array(program.clbit_records)
    written = idx >= 0
    out[:, written] = records[:, idx[written]]
    return out


def sample_memory(circuit: Circuit | StimProgram, *, shots: int, seed: int | None = None,
                  num_clbits: int | None = None) -> list[int]:
    """One integer per shot over the first ``num_clbits`` classical bits (bit ``i`` = clbit ``i``)."""
    bits = sample_clbits(circuit, shots=shots, seed=seed)
    if num_clbits is not None:
        bits = bits[:, :num_clbits]
    if bits.shape[1] == 0:
        return [0] * shots
    packed = np.packbits(bits, axis=1, bitorder="little")
    if packed.shape[1] <= 8:
        padded = np.zeros((shots, 8), dtype=np.uint8)
        padded[:, :packed.shape[1]] = packed
        return padded.view("<u8")[:, 0].tolist()
    return [int.from_bytes(row.tobytes(), "little") for row in packed]
