"""A minimal, framework-neutral circuit: the IR every stage reads and writes.

Gates act on integer qubits, measurements write integer classical bits, and an
operation may carry a classical :class:`Condition`. Both adapters convert to and
from this IR; nothing here knows about Qiskit or Cirq.

Examples:
    >>> c = Circuit(num_qubits=2, num_clbits=2, operations=(
    ...     Operation(name="h", qubits=(0,)),
    ...     Operation(name="cx", qubits=(0, 1)),
    ...     Operation(name="measure", qubits=(0,), clbits=(0,)),
    ...     Operation(name="measure", qubits=(1,), clbits=(1,)),
    ... ))
    >>> c.num_two_qubit_gates()
    1
    >>> Circuit.from_json(c.to_json()) == c
    True
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Sequence

import numpy as np

from welinq_core import gates
from welinq_core.errors import CircuitError, UnboundParameterError

__all__ = ["Condition", "Operation", "Circuit"]

_PAULI_LETTERS = frozenset("IXYZ")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Condition:
    """Apply an operation only when some classical bits hold a value.

    The bits form an integer with ``clbits[0]`` least significant; the condition
    holds when that integer equals ``value``.

    Examples:
        >>> Condition(clbits=(3,), value=1).is_satisfied_by({3: 1})
        True
    """

    clbits: tuple[int, ...]
    value: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "clbits", tuple(int(c) for c in self.clbits))
        if not self.clbits:
            raise CircuitError("a Condition needs at least one classical bit")
        if not 0 <= self.value < 2 ** len(self.clbits):
            raise CircuitError(
                f"condition value={self.value} does not fit in {len(self.clbits)} bit(s)"
            )

    def is_satisfied_by(self, bits: dict[int, int] | Sequence[int]) -> bool:
        """Whether the condition holds for classical bit values ``bits``."""
        v = sum((int(bits[c]) & 1) << i for i, c in enumerate(self.clbits))
        return v == self.value


@dataclasses.dataclass(frozen=True, kw_only=True)
class Operation:
    """One instruction: a gate, ``measure``, ``reset``, ``barrier``, ``pauli_channel`` or ``kraus``.

    Attributes:
        name: Gate name (see :mod:`welinq_core.gates`) or a directive name.
        qubits: Qubits acted on, in the gate's argument order.
        params: Real angles, in radians.
        clbits: For ``measure``, the classical bits written (one per qubit).
        condition: Classical condition, or None (unconditional).
        pauli_terms: For ``pauli_channel``: ``(label, probability)`` pairs; label
            character ``i`` acts on ``qubits[i]`` (big-endian, unlike Aer's labels).
        kraus: For ``kraus`` (a general quantum channel, e.g. amplitude damping): the
            Kraus operators, each a ``2**k x 2**k`` matrix as a tuple of rows of complex
            numbers (``qubits[0]`` is the most significant index), with
            ``sum(K^dag K) = I``. Such a channel is noise the user asked for: it takes no
            time, and no stage moves a Pauli error across it.

    Examples:
        >>> damp = Operation(name="kraus", qubits=(0,), kraus=(((1, 0), (0, 0.8)), ((0, 0.6), (0, 0))))
        >>> damp.is_gate, damp.kraus_matrices()[1].tolist()
        (False, [[0j, (0.6+0j)], [0j, 0j]])
    """

    name: str
    qubits: tuple[int, ...]
    params: tuple[float, ...] = ()
    clbits: tuple[int, ...] = ()
    condition: Condition | None = None
    pauli_terms: tuple[tuple[str, float], ...] = ()
    kraus: tuple[tuple[tuple[complex, ...], ...], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "qubits", tuple(self.qubits))
        object.__setattr__(  # (empty fields skip the conversions: most operations have them empty)
            self, "kraus", tuple(tuple(tuple(complex(x) for x in row) for row in k) for k in self.kraus)
            if self.kraus else ()
        )
        object.__setattr__(self, "clbits", tuple(self.clbits))
        object.__setattr__(self, "pauli_terms", tuple((str(l), float(p)) for l, p in self.pauli_terms)
                           if self.pauli_terms else ())
        params = []
        for p in self.params:
            try:
                f = float(p)
            except TypeError:
                raise UnboundParameterError(
                    f"operation {self.name!r} on qubits {self.qubits} has a non-numeric parameter "
                    f"{p!r}; bind every parameter (e.g. circuit.assign_parameters(...)) before running"
                ) from None
            if not math.isfinite(f):
                raise CircuitError(f"operation {self.name!r} has a non-finite parameter {p!r}")
            params.append(f)
        object.__setattr__(self, "params", tuple(params))
        if len(set(self.qubits)) != len(self.qubits):
            raise CircuitError(f"operation {self.name!r} repeats a qubit: {self.qubits}")
        if self.name in ("measure",):
            if len(self.clbits) != len(self.qubits) or not self.qubits:
                raise CircuitError(
                    f"measure needs one classical bit per qubit, got qubits={self.qubits} "
                    f"clbits={self.clbits}"
                )
        elif self.name == "pauli_channel":
            total = 0.0
            for label, prob in self.pauli_terms:
                if len(label) != len(self.qubits) or not _PAULI_LETTERS.issuperset(label):
                    raise CircuitError(
                        f"pauli_channel label {label!r} must be {len(self.qubits)} of I, X, Y, Z"
                    )
                if not 0 <= prob <= 1 + 1e-12:
                    raise CircuitError(f"pauli_channel probability {prob} is outside [0, 1]")
                total += prob
            if abs(total - 1) > 1e-9:
                raise CircuitError(f"pauli_channel probabilities sum to {total}, not 1")
        elif self.name == "kraus":
            self._check_kraus()
        elif self.name in ("reset", "barrier"):
            pass
        else:
            s = gates.spec(self.name)
            if len(self.qubits) != s.num_qubits:
                raise CircuitError(
                    f"gate {self.name!r} acts on {s.num_qubits} qubit(s), got qubits={self.qubits}"
                )
            if len(self.params) != s.num_params:
                raise CircuitError(
                    f"gate {self.name!r} takes {s.num_params} parameter(s), got {self.params}"
                )

    def _check_kraus(self) -> None:
        dim = 2 ** len(self.qubits)
        if not self.qubits or not self.kraus:
            raise CircuitError(f"kraus needs qubits and at least one Kraus operator, got qubits={self.qubits}")
        if self.params or self.clbits:
            raise CircuitError("kraus takes no params and no clbits")
        for k in self.kraus:
            if len(k) != dim or any(len(row) != dim for row in k):
                raise CircuitError(f"a Kraus operator on {len(self.qubits)} qubit(s) must be {dim}x{dim}")
        total = sum(m.conj().T @ m for m in self.kraus_matrices())
        if not np.allclose(total, np.eye(dim), atol=1e-8):
            raise CircuitError(
                "Kraus operators do not sum to the identity (sum K^dag K != I): the channel is not "
                "trace preserving"
            )

    def on_qubits(self, qubits: Sequence[int]) -> Operation:
        """The same operation on other qubits (as many, distinct); the rest, already
        checked, is shared rather than checked again (cheap copies of one noise channel).

        Examples:
            >>> flip = Operation(name="pauli_channel", qubits=(0,), pauli_terms=(("I", 0.9), ("X", 0.1)))
            >>> moved = flip.on_qubits((7,))
            >>> moved.qubits, moved.pauli_terms == flip.pauli_terms
            ((7,), True)
        """
        qubits = tuple(int(q) for q in qubits)
        if len(qubits) != len(self.qubits) or len(set(qubits)) != len(qubits):
            raise CircuitError(
                f"operation {self.name!r} acts on {len(self.qubits)} distinct qubit(s), got qubits={qubits}"
            )
        moved = object.__new__(Operation)
        moved.__dict__.update(self.__dict__)
        moved.__dict__["qubits"] = qubits
        return moved

    def kraus_matrices(self) -> list[np.ndarray]:
        """The Kraus operators of a ``kraus`` operation as complex numpy arrays."""
        return [np.array(k, dtype=complex) for k in self.kraus]

    @property
    def is_gate(self) -> bool:
        """Whether this is a unitary gate (not a directive)."""
        return self.name not in gates.DIRECTIVES

    def to_json_dict(self) -> dict[str, object]:
        """Plain-data form (see :meth:`from_json_dict`)."""
        d: dict[str, object] = {"name": self.name, "qubits": list(self.qubits)}
        if self.params:
            d["params"] = list(self.params)
        if self.clbits:
            d["clbits"] = list(self.clbits)
        if self.condition is not None:
            d["condition"] = {"clbits": list(self.condition.clbits), "value": self.condition.value}
        if self.pauli_terms:
            d["pauli_terms"] = [list(t) for t in self.pauli_terms]
        if self.kraus:
            d["kraus"] = [[[[x.real, x.imag] for x in row] for row in k] for k in self.kraus]
        return d

    @classmethod
    def from_json_dict(cls, d: dict) -> Operation:
        """Inverse of :meth:`to_json_dict`."""
        cond = d.get("condition")
        return cls(
            name=d["name"],
            qubits=tuple(d["qubits"]),
            params=tuple(d.get("params", ())),
            clbits=tuple(d.get("clbits", ())),
            condition=None if cond is None else Condition(clbits=tuple(cond["clbits"]), value=cond["value"]),
            pauli_terms=tuple(tuple(t) for t in d.get("pauli_terms", ())),  # type: ignore[misc]
            kraus=tuple(tuple(tuple(complex(*x) for x in row) for row in k) for k in d.get("kraus", ())),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Circuit:
    """An immutable list of operations on ``num_qubits`` qubits and ``num_clbits`` bits.

    Raises:
        CircuitError: If an operation uses a qubit or classical bit out of range.
    """

    num_qubits: int
    num_clbits: int = 0
    operations: tuple[Operation, ...] = ()
    name: str = "circuit"

    def __post_init__(self) -> None:
        object.__setattr__(self, "operations", tuple(self.operations))
        if self.num_qubits < 0 or self.num_clbits < 0:
            raise CircuitError(
                f"num_qubits={self.num_qubits} and num_clbits={self.num_clbits} must be >= 0"
            )
        for i, op in enumerate(self.operations):
            for q in op.qubits:
                if not 0 <= q < self.num_qubits:
                    raise CircuitError(
                        f"operation {i} ({op.name}) uses qubit {q}, but the circuit has "
                        f"{self.num_qubits} qubits (0..{self.num_qubits - 1})"
                    )
            bits = op.clbits + (op.condition.clbits if op.condition else ())
            for c in bits:
                if not 0 <= c < self.num_clbits:
                    raise CircuitError(
                        f"operation {i} ({op.name}) uses classical bit {c}, but the circuit has "
                        f"{self.num_clbits} classical bits"
                    )

    def __len__(self) -> int:
        return len(self.operations)

    def __iter__(self):  # noqa: ANN204
        return iter(self.operations)

    def with_operations(self, operations: Iterable[Operation]) -> Circuit:
        """A copy with other operations (same register sizes and name)."""
        return dataclasses.replace(self, operations=tuple(operations))

    def num_two_qubit_gates(self) -> int:
        """Number of two-qubit gates."""
        return sum(1 for op in self.operations if op.is_gate and len(op.qubits) == 2)

    def active_qubits(self) -> tuple[int, ...]:
        """Qubits touched by at least one non-barrier operation, sorted."""
        used: set[int] = set()
        for op in self.operations:
            if op.name != "barrier":
                used.update(op.qubits)
        return tuple(sorted(used))

    def observed_part(self, keep: Iterable[int] = ()) -> tuple[Circuit, tuple[int, ...]]:
        """The part of the circuit its measurements can see, and the qubits it keeps.

        A qubit is kept when it is measured or linked to a measured qubit through a chain of
        multi-qubit operations (gates, correlated channels). Every other qubit only ever
        meets trace-preserving operations on a factor of the state that no measurement
        reads, so dropping it leaves the distribution of every classical bit exactly as it
        was: a 6-qubit circuit transpiled onto a 64-qubit cluster is simulated on 6 qubits.
        Kept qubits are renumbered in order; the classical bits are unchanged. Qubits in
        ``keep`` are kept as if they were measured.

        Examples:
            >>> c = Circuit(num_qubits=4, num_clbits=1, operations=(
            ...     Operation(name="h", qubits=(3,)), Operation(name="cx", qubits=(3, 1)),
            ...     Operation(name="x", qubits=(0,)), Operation(name="barrier", qubits=(0, 1, 2, 3)),
            ...     Operation(name="measure", qubits=(1,), clbits=(0,))))
            >>> small, kept = c.observed_part()
            >>> kept, small.num_qubits, [(op.name, op.qubits) for op in small.operations]
            ((1, 3), 2, [('h', (1,)), ('cx', (1, 0)), ('barrier', (0, 1)), ('measure', (0,))])
        """
        import networkx as nx

        links = nx.Graph()
        links.add_nodes_from(range(self.num_qubits))
        measured: set[int] = set(keep)
        for op in self.operations:
            if op.name == "barrier":
                continue
            if op.name == "measure":
                measured.update(op.qubits)
            nx.add_path(links, op.qubits)
        seen = set().union(*(nx.node_connected_component(links, q) for q in measured)) if measured else set()
        kept = tuple(q for q in range(self.num_qubits) if q in seen)
        if len(kept) == self.num_qubits:
            return self, kept
        return self.restricted_to(kept), kept

    def restricted_to(self, qubits: Sequence[int]) -> Circuit:
        """The circuit on ``qubits`` only, renumbered ``0..`` in the given order.

        Operations on other qubits only are left out and barriers keep the given qubits;
        the classical bits are unchanged.

        Raises:
            CircuitError: If an operation other than a barrier acts on given and other qubits.

        Examples:
            >>> c = Circuit(num_qubits=3, operations=(Operation(name="cx", qubits=(2, 0)),
            ...     Operation(name="h", qubits=(1,)), Operation(name="barrier", qubits=(0, 1, 2))))
            >>> [(op.name, op.qubits) for op in c.restricted_to((0, 2)).operations]
            [('cx', (1, 0)), ('barrier', (0, 1))]
        """
        index = {q: i for i, q in enumerate(qubits)}
        ops = []
        for op in self.operations:
            mapped = tuple(index[q] for q in op.qubits if q in index)
            if not mapped:
                continue
            if len(mapped) != len(op.qubits) and op.name != "barrier":
                raise CircuitError(
                    f"{op.name} on qubits {op.qubits} acts on qubits inside and outside {tuple(qubits)}; "
                    "restrict the circuit to a set of qubits that no operation straddles")
            ops.append(dataclasses.replace(op, qubits=mapped))
        return dataclasses.replace(self, num_qubits=len(index), operations=tuple(ops))

    def has_mid_circuit_measurement(self) -> bool:
        """Whether any qubit is acted upon after it was measured, or any op is conditioned."""
        measured: set[int] = set()
        for op in self.operations:
            if op.condition is not None:
                return True
            if op.name == "barrier":
                continue
            if measured.intersection(op.qubits):
                return True
            if op.name == "measure":
                measured.update(op.qubits)
        return False

    def to_json(self) -> str:
        """JSON text of the circuit."""
        return json.dumps(
            {
                "name": self.name,
                "num_qubits": self.num_qubits,
                "num_clbits": self.num_clbits,
                "operations": [op.to_json_dict() for op in self.operations],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Circuit:
        """Inverse of :meth:`to_json`."""
        d = json.loads(text)
        return cls(
            name=d.get("name", "circuit"),
            num_qubits=d["num_qubits"],
            num_clbits=d.get("num_clbits", 0),
            operations=tuple(Operation.from_json_dict(o) for o in d["operations"]),
        )
