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
import functools
from collections import OrderedDict

import numpy as np
import stim

from welinq_core.circuit import Circuit, Operation
from welinq_core.errors import UnsupportedGateError
from welinq_core.seeding import check_seed

__all__ = [
    "STIM_GATES", "StimProgram", "sample_clbits", "sample_memory", "sample_packed", "stim_incompatibility", "to_stim",
]

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
    return [head + "".join(f" {c}{op.qubits[i]}" for c, i in targets)
            for head, targets in _channel_template(op.pauli_terms, len(op.qubits))]


@functools.lru_cache(maxsize=4096)
def _channel_template(pauli_terms: tuple[tuple[str, float], ...], k: int
                      ) -> tuple[tuple[str, tuple[tuple[str, int], ...]], ...]:
    """The stim instructions of a Pauli channel on ``k`` qubits, once per channel (a big
    circuit repeats a few noise tables on many qubits): ``(head, ((pauli, qubit index),
    ...))`` per instruction; a ``DEPOLARIZE`` instruction's paulis are empty."""
    if k <= 2:
        errors = {label: p for label, p in pauli_terms if set(label) != {"I"} and p > 0}
        values = list(errors.values())
        if len(errors) == 4**k - 1 and max(values) - min(values) <= 1e-15 * max(values):
            return ((f"DEPOLARIZE{k}({sum(values)!r})", tuple(("", i) for i in range(k))),)
    lines: list[tuple[str, tuple[tuple[str, int], ...]]] = []
    remaining = 1.0
    for label, p in pauli_terms:
        if set(label) == {"I"} or p <= 0:
            continue
        targets = tuple((c, i) for i, c in enumerate(label) if c != "I")
        conditional = min(1.0, p / remaining) if remaining > 1e-15 else 1.0
        name = "ELSE_CORRELATED_ERROR" if lines else "CORRELATED_ERROR"
        lines.append((f"{name}({conditional!r})", targets))
        remaining -= p
    return tuple(lines)


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
    add = lines.append
    record_of = [-1] * circuit.num_clbits
    num_measurements = 0
    for op in circuit.operations:
        name = op.name
        if name == "pauli_channel":
            qs = op.qubits
            for head, targets in _channel_template(op.pauli_terms, len(qs)):
                add(head + "".join(f" {c}{qs[i]}" for c, i in targets))
            continue
        qubits = " ".join(map(str, op.qubits))
        if name == "barrier":
            add("TICK")
        elif name == "measure":
            add(f"M {qubits}")
            for c in op.clbits:
                record_of[c] = num_measurements
                num_measurements += 1
        elif name == "reset":
            add(f"R {qubits}")
        elif op.condition is None:
            add(f"{STIM_GATES[name]} {qubits}")
        else:
            bit, value = op.condition.clbits[0], op.condition.value
            rec = record_of[bit]
            if value == 0:  # applied when the bit is 0: apply, and undo when it is 1
                add(f"{STIM_GATES[name]} {qubits}")
            if rec >= 0:
                add(f"{_CONTROLLED_PAULI[name]} rec[{rec - num_measurements}] {op.qubits[0]}")
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


def sample_packed(circuit: Circuit | StimProgram, *, shots: int, seed: int | None = None,
                  num_clbits: int | None = None) -> np.ndarray:
    """Sample the first ``num_clbits`` classical bits (default: all), bit-packed: a
    ``(shots, ceil(num_clbits / 8))`` uint8 array, bit ``i`` of a shot in byte ``i // 8`` at
    position ``i % 8`` (little-endian, as ``np.packbits(..., bitorder="little")``), unused
    high bits 0. stim samples packed; when classical bit ``i`` holds measurement ``i``
    (the usual final measurements) its bytes are used as they are.

    Examples:
        >>> from welinq_core.circuit import Circuit, Operation
        >>> c = Circuit(num_qubits=1, num_clbits=2, operations=[Operation(name="x", qubits=(0,)),
        ...     Operation(name="measure", qubits=(0,), clbits=(1,))])
        >>> sample_packed(c, shots=2, seed=1).tolist()
        [[2], [2]]
    """
    program = circuit if isinstance(circuit, StimProgram) else _cached_program(circuit)
    seed = check_seed(seed, name="seed")
    records = program.clbit_records
    m = len(records) if num_clbits is None else min(num_clbits, len(records))
    width = (m + 7) // 8
    num_measurements = program.circuit.num_measurements
    if num_measurements == 0 or m == 0:
        return np.zeros((shots, width), dtype=np.uint8)
    sampler = program.circuit.compile_sampler(seed=seed)
    packed = sampler.sample(shots, bit_packed=True)
    if records[:m] == tuple(range(m)):
        out = np.ascontiguousarray(packed[:, :width])
        if m % 8:
            out[:, -1] &= (1 << (m % 8)) - 1
        return out
    bits = np.unpackbits(packed, axis=1, count=num_measurements, bitorder="little")
    chosen = np.zeros((shots, m), dtype=np.uint8)
    idx = np.array(records[:m])
    written = idx >= 0
    chosen[:, written] = bits[:, idx[written]]
    return np.packbits(chosen, axis=1, bitorder="little")


def sample_clbits(circuit: Circuit | StimProgram, *, shots: int, seed: int | None = None) -> np.ndarray:
    """Sample the classical bits: a ``(shots, num_clbits)`` uint8 array (bit ``i`` in column ``i``)."""
    program = circuit if isinstance(circuit, StimProgram) else _cached_program(circuit)
    m = len(program.clbit_records)
    packed = sample_packed(program, shots=shots, seed=seed)
    return np.unpackbits(packed, axis=1, count=m, bitorder="little")


def sample_memory(circuit: Circuit | StimProgram, *, shots: int, seed: int | None = None,
                  num_clbits: int | None = None) -> list[int]:
    """One integer per shot over the first ``num_clbits`` classical bits (bit ``i`` = clbit ``i``)."""
    packed = sample_packed(circuit, shots=shots, seed=seed, num_clbits=num_clbits)
    width = packed.shape[1]
    if width == 0:
        return [0] * shots
    if width <= 8:
        padded = np.zeros((shots, 8), dtype=np.uint8)
        padded[:, :width] = packed
        return padded.view("<u8")[:, 0].tolist()
    raw = packed.tobytes()
    return [int.from_bytes(raw[i:i + width], "little") for i in range(0, shots * width, width)]
