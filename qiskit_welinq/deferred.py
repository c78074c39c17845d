"""Scratch measurements used only for Pauli corrections, deferred (no feed-forward).

Protocol measurements whose only use is a Pauli correction (cat-entangler and
disentangler, entanglement swapping, the measured shared-randomness form) are replaced
by their exact deferred form (:func:`defer_measurements`): no feed-forward, so Aer does
not branch on outcomes that cannot change the user's distribution.
"""

from __future__ import annotations

from welinq_core.circuit import Circuit, Operation

__all__ = ["defer_measurements"]

_CONTROLLED = {"x": "cx", "y": "cy", "z": "cz"}


def defer_measurements(circuit: Circuit, keep_clbits: int) -> Circuit:
    """The deferred-measurement form of scratch measurements used only for Pauli corrections.

    A measurement of qubit ``q`` into a scratch bit (index >= ``keep_clbits``) whose bit is
    read only by single-bit conditions ``== 1`` on ``x``/``y``/``z`` corrections, while ``q``
    is left alone until it is reset (or never used again), is dropped and each correction
    becomes ``cx``/``cy``/``cz`` controlled by ``q``; an ``h`` on ``q`` follows the last one.
    Measuring and then discarding ``q`` equals tracing it out, which the reset does, so
    the distribution of the kept bits is exactly the same (deferred-measurement
    principle); the ``h`` only returns the protocols' disentangled ``|+>``/``|->`` to the
    computational basis so that Aer's reset does not branch. Without mid-circuit
    measurement the circuit can be sampled from one state per noise branch.

    Examples:
        >>> from welinq_core.circuit import Circuit, Condition, Operation
        >>> c = Circuit(num_qubits=2, num_clbits=2, operations=[
        ...     Operation(name="h", qubits=(1,)), Operation(name="measure", qubits=(1,), clbits=(1,)),
        ...     Operation(name="x", qubits=(0,), condition=Condition(clbits=(1,), value=1)),
        ...     Operation(name="measure", qubits=(0,), clbits=(0,))])
        >>> [op.name for op in defer_measurements(c, keep_clbits=1)]
        ['h', 'cx', 'h', 'measure']
    """
    ops = list(circuit.operations)
    drop: set[int] = set()
    replace: dict[int, list] = {}
    for i, op in enumerate(ops):
        if op.name != "measure" or len(op.qubits) != 1 or op.condition is not None or op.clbits[0] < keep_clbits:
            continue
        q, bit = op.qubits[0], op.clbits[0]
        reads: list[int] = []
        ok, touched = True, False
        for j in range(i + 1, len(ops)):
            o = ops[j]
            if bit in o.clbits:  # the bit is written again: later reads are not ours
                break
            if o.condition is not None and bit in o.condition.clbits:
                if (touched or o.condition.clbits != (bit,) or o.condition.value != 1
                        or o.name not in _CONTROLLED or q in o.qubits):
                    ok = False
                    break
                reads.append(j)
            if q in o.qubits and not touched:
                if o.name != "reset":
                    ok = False
                    break
                touched = True
        if not ok or not reads:
            continue
        drop.add(i)
        for j in reads:
            replace[j] = [Operation(name=_CONTROLLED[ops[j].name], qubits=(q, ops[j].qubits[0]))]
        replace[reads[-1]] = replace[reads[-1]] + [Operation(name="h", qubits=(q,))]
    if not drop:
        return circuit
    out: list = []
    for i, op in enumerate(ops):
        if i in drop:
            continue
        out.extend(replace.get(i, (op,)))
    return circuit.with_operations(out)

