"""Which Aer method simulates a circuit, and the circuit fitted to that method.

The simulation method is chosen for the user (:func:`choose_method`), unless the
backend's ``method`` option forces one:

* ``stabilizer`` when every gate is Clifford (Pauli noise, measurements, resets and
  feed-forward allowed): polynomial in the number of qubits;
* ``density_matrix`` for noisy circuits of at most :data:`DENSITY_MATRIX_MAX_QUBITS`
  qubits without mid-circuit measurement: one run covers every shot's noise exactly
  (with feed-forward, shot branching would copy whole density matrices, so such
  circuits go to the state vector);
* ``statevector`` otherwise, with Aer's shot branching for dynamic or noisy circuits
  (measured: 12-qubit noisy GHZ, 10,000 shots, 9.8 s -> 1.2 s with qiskit-aer 0.18 on 2 cores);
* ``matrix_product_state`` beyond :data:`STATEVECTOR_MAX_QUBITS` qubits.

Aer's methods do not all execute the same gates (the density-matrix method lacks
``crx``, ``cry``...): :func:`fit_to_method` replaces what a method lacks by its exact
definition. :func:`estimate_memory_bytes` is what the engine checks against the
machine's memory before a run.
"""

from __future__ import annotations

import functools
from typing import Any

from welinq_core import gates
from welinq_core.circuit import Circuit
from welinq_core.errors import OptionsError

__all__ = [
    "METHODS",
    "DENSITY_MATRIX_MAX_QUBITS",
    "DENSITY_MATRIX_SHOTS_PER_AMPLITUDE",
    "STATEVECTOR_MAX_QUBITS",
    "choose_method",
    "estimate_memory_bytes",
    "method_basis",
    "fit_to_method",
    "aer_simulator",
]

#: Methods the engine accepts (``automatic`` = :func:`choose_method`).
METHODS = ("automatic", "stim", "stabilizer", "density_matrix", "statevector", "matrix_product_state")
#: Noisy static circuits up to this many qubits use the density-matrix method. Measured
#: (Aer 0.18, 2 cores, 10,000 shots, effective QFT-like circuits with inline Pauli
#: channels): 10 qubits DM 0.6 s vs state vector with shot branching 2.6 s; 12 qubits
#: DM 14 s vs 3.9 s.
DENSITY_MATRIX_MAX_QUBITS = 10
#: ... and only with at least this many shots per state-vector amplitude: one density
#: matrix costs ~4^n, shot-branched state vectors ~shots x 2^n (10 qubits, 200 shots:
#: DM 0.6 s vs state vector 0.07 s; 10,000 shots: 0.6 s vs 2.6 s).
DENSITY_MATRIX_SHOTS_PER_AMPLITUDE = 4
#: Wider non-Clifford circuits use matrix product states.
STATEVECTOR_MAX_QUBITS = 28


def _is_clifford(circuit: Circuit) -> bool:
    for op in circuit.operations:
        if op.name == "kraus" or op.is_gate and op.name != "pauli_channel" and not gates.spec(op.name).is_clifford:
            return False  # a general (Kraus) channel is not a Pauli channel: no stabilizer method
    return True



def choose_method(circuit: Circuit, shots: int | None = None) -> tuple[str, str]:
    """``(method, reason)`` for simulating ``circuit`` on Aer.

    Examples:
        >>> from welinq_core.circuit import Circuit, Operation
        >>> choose_method(Circuit(num_qubits=30, operations=[Operation(name="h", qubits=(0,))]))[0]
        'stabilizer'
        >>> choose_method(Circuit(num_qubits=3, operations=[Operation(name="t", qubits=(0,)),
        ...     Operation(name="pauli_channel", qubits=(0,), pauli_terms=(("I", 0.9), ("X", 0.1)))]))[0]
        'density_matrix'
    """
    n = circuit.num_qubits
    noisy = any(op.name in ("pauli_channel", "kraus") for op in circuit.operations)
    if _is_clifford(circuit):
        return "stabilizer", "every gate is Clifford (noise is Pauli): stabilizer simulation is polynomial"
    dynamic = circuit.has_mid_circuit_measurement()
    few_shots = shots is not None and shots < DENSITY_MATRIX_SHOTS_PER_AMPLITUDE * 2**n
    if noisy and not dynamic and n <= DENSITY_MATRIX_MAX_QUBITS and not few_shots:
        return "density_matrix", f"noisy circuit on {n} <= {DENSITY_MATRIX_MAX_QUBITS} qubits: density matrix"
    if n > STATEVECTOR_MAX_QUBITS:
        return "matrix_product_state", f"{n} > {STATEVECTOR_MAX_QUBITS} qubits: a state vector would not fit"
    why = "dynamic circuit" if dynamic else "non-Clifford circuit"
    return "statevector", f"{why} on {n} qubits: state vector with shot branching"


def estimate_memory_bytes(method: str, num_qubits: int) -> int:
    """Rough peak memory of an Aer method for ``num_qubits`` qubits (complex128 amplitudes).

    Examples:
        >>> estimate_memory_bytes("statevector", 20)
        16777216
    """
    if method == "statevector":
        return 16 * 2**num_qubits
    if method == "density_matrix":
        return 16 * 4**num_qubits
    if method == "stabilizer":
        return 64 * num_qubits * num_qubits + (1 << 20)
    return 64 * num_qubits * 2**10  # MPS: bounded bond dimension, grows with entanglement


def method_basis(method: str) -> frozenset[str]:
    """Instruction names Aer's ``method`` executes natively (control flow included).

    Examples:
        >>> "crx" in method_basis("density_matrix"), "crx" in method_basis("statevector")
        (False, True)
    """
    return _method_basis(method)


def aer_simulator() -> Any:
    """The ``AerSimulator`` class (Aer is imported on first use, not with the package;
    ``qiskit_welinq.engine.AerSimulator`` may replace it, e.g. in a test)."""
    from qiskit_welinq import engine

    return engine.__dict__["AerSimulator"] if "AerSimulator" in engine.__dict__ else engine.__getattr__("AerSimulator")


@functools.lru_cache(maxsize=8)
def _method_basis(method: str) -> frozenset[str]:
    return frozenset(aer_simulator()(method=method).configuration().basis_gates) | {"if_else", "barrier", "measure", "reset"}


def fit_to_method(qc: Any, method: str) -> Any:
    """``qc`` with every instruction ``method`` lacks replaced by its exact definition.

    Aer's density-matrix and matrix-product-state methods lack ``crx``/``cry``/``crz``/
    ``csx``...; Qiskit's standard definitions of these gates are exact (global phase
    included, which matters under a control), applied recursively, inside
    ``if_else`` blocks too. Circuits that need nothing are returned unchanged.
    """
    basis = method_basis(method)
    if all(inst.operation.name in basis and not getattr(inst.operation, "blocks", ()) for inst in qc.data):
        return qc
    return _decompose_into(qc, basis)


def _decompose_into(qc: Any, basis: frozenset[str]) -> Any:
    out = qc.copy_empty_like()
    for inst in qc.data:
        op = inst.operation
        if getattr(op, "blocks", ()):
            op = op.replace_blocks([_decompose_into(b, basis) for b in op.blocks])
            out.append(op, inst.qubits, inst.clbits)
        elif op.name in basis or op.definition is None:
            out.append(op, inst.qubits, inst.clbits)
        else:
            sub = _decompose_into(op.definition, basis)
            out.compose(sub, qubits=list(inst.qubits), clbits=list(inst.clbits), inplace=True)
    return out


def check_representable(circuit: Circuit, method: str) -> None:
    """A forced method that cannot represent ``circuit`` fails here, before any simulation."""
    if method == "stabilizer" and not _is_clifford(circuit):
        bad = sorted({op.name for op in circuit.operations if op.name == "kraus"
                      or op.is_gate and op.name != "pauli_channel" and not gates.spec(op.name).is_clifford})
        raise OptionsError(
            f"method='stabilizer' cannot simulate the non-Clifford operation(s) {bad} of this circuit; "
            "use method='automatic' (or 'statevector')"
        )

