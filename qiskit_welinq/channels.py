"""Quantum channels in Qiskit circuits as IR operations, and back for Aer.

Qiskit puts a channel into a circuit in two ways, and Aer runs both:

* a ``qiskit.quantum_info`` channel (``Kraus``, ``SuperOp``, ``Choi``, ``Chi``,
  ``PTM``, ``Stinespring``) appended with ``qc.append(channel, qubits)`` becomes a
  ``kraus`` instruction (Qiskit converts it to Kraus form and checks that it is
  completely positive and trace preserving);
* an Aer ``QuantumError`` (``amplitude_damping_error``, ``thermal_relaxation_error``,
  ``pauli_error``, ...) appended the same way becomes a ``quantum_channel`` instruction.

Both become the IR's ``kraus`` operation (:class:`~welinq_core.circuit.Operation`),
which the pipeline carries like any local operation (the link noise of the remote
gates around it is added as usual) and which the engine simulates with the
density-matrix method (or exact per-shot trajectories on wider circuits). An Aer
error that is a mixture of Paulis becomes a ``pauli_channel`` instead, so a
Clifford circuit with it stays on the stabilizer engines.

Qiskit's matrices are little-endian (the instruction's first qubit is the least
significant bit), the IR's big-endian (its first qubit is the most significant):
:func:`reverse_qubit_order` converts either way.

Examples:
    >>> from qiskit import QuantumCircuit
    >>> from qiskit.quantum_info import Kraus
    >>> import numpy as np
    >>> damp = Kraus([np.diag([1, np.sqrt(0.7)]), np.array([[0, np.sqrt(0.3)], [0, 0]])])
    >>> qc = QuantumCircuit(1); _ = qc.x(0); _ = qc.append(damp, [0])
    >>> op = channel_from_qiskit(qc.data[1].operation, (0,), None)
    >>> op.name, np.round(np.abs(op.kraus_matrices()[1]) ** 2, 3).tolist()
    ('kraus', [[0.0, 0.3], [0.0, 0.0]])
    >>> kraus_instruction(op).name
    'kraus'

References:
    M. A. Nielsen and I. L. Chuang, Quantum Computation and Quantum Information,
    section 8.2 (operator-sum representation).
"""

from __future__ import annotations

import numpy as np

from welinq_core.circuit import Condition, Operation
from welinq_core.errors import CircuitError, UnsupportedGateError

__all__ = ["CHANNEL_INSTRUCTIONS", "channel_from_qiskit", "kraus_instruction", "reverse_qubit_order"]

#: Names of the Qiskit instructions that carry a quantum channel.
CHANNEL_INSTRUCTIONS = ("kraus", "quantum_channel")


def reverse_qubit_order(matrix: np.ndarray) -> np.ndarray:
    """An operator on ``n`` qubits with the order of its qubits reversed (little <-> big endian).

    Examples:
        >>> cx_little = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]])
        >>> reverse_qubit_order(cx_little).tolist()  # the textbook CNOT, control first
        [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]
    """
    m = np.asarray(matrix)
    n = m.shape[0].bit_length() - 1
    axes = list(range(n))[::-1] + list(range(n, 2 * n))[::-1]
    return m.reshape((2,) * (2 * n)).transpose(axes).reshape(m.shape)


def _pauli_terms(error: object, num_qubits: int) -> tuple[tuple[str, float], ...] | None:
    """The terms of an Aer ``QuantumError`` that is a Pauli mixture (IR labels), else None."""
    from qiskit.exceptions import QiskitError
    from qiskit.quantum_info import Pauli

    terms: dict[str, float] = {}
    for circuit, p in zip(error.circuits, error.probabilities):  # type: ignore[attr-defined]
        if circuit.num_qubits != num_qubits or any(
            inst.operation.name not in ("id", "x", "y", "z", "pauli") for inst in circuit.data
        ):
            return None
        try:
            label = Pauli(circuit).to_label().lstrip("-i")
        except QiskitError:
            return None
        label = label[::-1]  # Qiskit's label ends with qubit 0; the IR's starts with it
        terms[label] = terms.get(label, 0.0) + float(p)
    return tuple(terms.items()) or None


def channel_from_qiskit(op: object, qs: tuple[int, ...], condition: Condition | None) -> Operation:
    """The IR operation of a Qiskit ``kraus`` or ``quantum_channel`` instruction on qubits ``qs``.

    Raises:
        UnsupportedGateError: If the instruction does not describe a channel welinq can
            represent (the message names it and the fix).
    """
    name = getattr(op, "name", type(op).__name__)
    try:
        if name == "quantum_channel":
            error = getattr(op, "_quantum_error", None)
            if error is None:
                raise ValueError("it carries no Aer QuantumError")
            terms = _pauli_terms(error, len(qs))
            if terms is not None:
                return Operation(name="pauli_channel", qubits=qs, pauli_terms=terms, condition=condition)
            from qiskit.quantum_info import Kraus

            matrices = [np.asarray(k, dtype=complex) for k in Kraus(error).data]
        elif name == "kraus":
            matrices = [np.asarray(k, dtype=complex) for k in op.params]  # type: ignore[attr-defined]
        else:
            raise ValueError("it is not one of the channel instructions " + str(CHANNEL_INSTRUCTIONS))
        dim = 2 ** len(qs)
        if not matrices or any(m.shape != (dim, dim) for m in matrices):
            shapes = sorted({m.shape for m in matrices})
            raise ValueError(f"its Kraus operators have shapes {shapes}, not {dim}x{dim} for {len(qs)} qubit(s)")
        big = tuple(tuple(map(tuple, reverse_qubit_order(m))) for m in matrices)
        return Operation(name="kraus", qubits=qs, kraus=big, condition=condition)
    except (CircuitError, ValueError) as err:
        raise UnsupportedGateError(
            f"the channel instruction {name!r} on qubits {qs} cannot be simulated: {err}; give a completely "
            "positive, trace-preserving channel on the qubits it is applied to (qiskit.quantum_info.Kraus, "
            "SuperOp, Choi, ... or an Aer QuantumError), or remove it"
        ) from err


def kraus_instruction(op: Operation) -> object:
    """The Aer ``kraus`` instruction of an IR ``kraus`` operation (matrices in Qiskit's order)."""
    from qiskit.circuit import Instruction

    matrices = [reverse_qubit_order(m) for m in op.kraus_matrices()]
    return Instruction("kraus", len(op.qubits), 0, matrices)
