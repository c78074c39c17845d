r"""Lowering: replace every non-local two-qubit gate by its Bell-pair protocol.

A non-local gate ``G(x, y)`` that is diagonal on ``x`` (``cx`` from its control,
``cz``/``cp``/``rzz`` from either side) runs from a *linked copy* of ``x`` on
``y``'s QPU, made by the cat-entangler and undone by the cat-disentangler of
Eisert, Jacobs, Papadopoulos and Plenio, PRA 62, 052317 (2000)::

    x (QPU A) ──●──────────────────────────────── Z^m2 ──
                │
    a (comm A) ─X─ M=m1 ─┐                          ║
    b (comm B) ──────── X^m1 ──●── ... ── H ─ M=m2 ═╝
                               │
    y (QPU B) ─────────────── G ──

One copy (one Bell pair per hop) serves a whole *packet*: every following gate
diagonal on ``x`` with a partner on the same remote QPU, as long as ``x`` meets
only diagonal gates in between. QPUs that are not neighbours are reached along a
shortest route by entanglement swapping (a Bell measurement on each
intermediate QPU, with Pauli corrections on the far end).

The lowering is a pure function returning its evidence: the ordered protocol
steps, the packets, and the ledger of Bell pairs per link. Two renderings share
these steps: :meth:`DistributedProgram.explicit_circuit` (communication qubits,
mid-circuit measurement and feed-forward, as hardware does it) and
:meth:`DistributedProgram.effective_circuit` (data qubits only).

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> from welinq_core.cluster import Cluster
    >>> c = Circuit(num_qubits=3, operations=[Operation(name="h", qubits=(0,)),
    ...     Operation(name="cx", qubits=(0, 1)), Operation(name="cx", qubits=(0, 2))])
    >>> cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
    >>> prog = lower(c, cluster, ("qpu0", "qpu1", "qpu1"))
    >>> prog.num_bell_pairs, [p.num_gates for p in prog.packets]
    (1, [2])
"""

from welinq_core.lowering.canonical import canonicalize
from welinq_core.lowering.planner import PROTOCOLS, check_protocols, count_bell_pairs, lower, route
from welinq_core.lowering.program import (
    BellPairUse,
    DistributedProgram,
    ExplicitCircuit,
    Packet,
    Step,
    Teleport,
)

__all__ = [
    "BellPairUse",
    "Packet",
    "Teleport",
    "PROTOCOLS",
    "Step",
    "DistributedProgram",
    "ExplicitCircuit",
    "canonicalize",
    "check_protocols",
    "lower",
    "count_bell_pairs",
    "route",
]
