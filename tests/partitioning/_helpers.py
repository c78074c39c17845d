"""Seeded circuit and cluster generators shared by the partitioning tests."""

from __future__ import annotations

import math

import numpy as np

from welinq_core.circuit import Circuit, Operation
from welinq_core.cluster import QPU, Cluster, Link
from welinq_core.lowering import lower
from welinq_core.reference import simulate

ONE_QUBIT = ("h", "x", "rz", "t", "s", "sx", "ry", "z", "u0")
TWO_QUBIT = ("cx", "cz", "cp", "crz", "rzz", "swap", "cry", "cy")


def qft(n: int) -> Circuit:
    """QFT without final swaps in {h, cp} (the DisQCO / pytket-dqc benchmark form)."""
    ops = []
    for j in range(n):
        ops.append(Operation(name="h", qubits=(j,)))
        for k in range(j + 1, n):
            ops.append(Operation(name="cp", qubits=(k, j), params=(math.pi / 2 ** (k - j),)))
    return Circuit(num_qubits=n, operations=ops, name=f"qft{n}")


def random_circuit(n: int, num_ops: int, seed: int, *, two_qubit_fraction: float = 0.6,
                   measure: bool = False) -> Circuit:
    """A seeded random circuit over the gate library (optionally with measurements)."""
    rng = np.random.default_rng(seed)
    ops = []
    for _ in range(num_ops):
        if n >= 2 and rng.random() < two_qubit_fraction:
            a, b = (int(x) for x in rng.choice(n, size=2, replace=False))
            name = TWO_QUBIT[int(rng.integers(len(TWO_QUBIT)))]
        else:
            a, b = int(rng.integers(n)), None
            name = ONE_QUBIT[int(rng.integers(len(ONE_QUBIT)))]
        nparams = {"rz": 1, "ry": 1, "cp": 1, "crz": 1, "rzz": 1, "cry": 1}.get(name, 0)
        params = tuple(float(x) for x in rng.uniform(-math.pi, math.pi, size=nparams))
        qubits = (a,) if b is None else (a, b)
        if name == "u0":  # a transpiled phase gate: u(0, phi, lambda) is diagonal
            name, params = "u", (0.0, *(float(x) for x in rng.uniform(-math.pi, math.pi, size=2)))
        ops.append(Operation(name=name, qubits=qubits, params=params))
    clbits = 0
    if measure:
        clbits = n
        ops += [Operation(name="measure", qubits=(q,), clbits=(q,)) for q in range(n)]
    return Circuit(num_qubits=n, num_clbits=clbits, operations=ops, name=f"rand{n}-{seed}")


def random_cluster(seed: int, num_qubits: int, *, comm: int | None = None) -> Cluster:
    """A seeded heterogeneous cluster (random topology, capacities, comm qubits, fidelities)."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 5))
    caps = [1] * k
    for _ in range(num_qubits - k + int(rng.integers(0, 3))):
        caps[int(rng.integers(k))] += 1
    qpus = [
        QPU(name=f"p{i}", num_data_qubits=caps[i],
            num_comm_qubits=int(comm if comm is not None else rng.integers(2, 5)))
        for i in range(k)
    ]
    topology = ("all-to-all", "line", "ring", "star")[int(rng.integers(4))]
    names = [q.name for q in qpus]
    if topology == "all-to-all":
        pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    elif topology == "line":
        pairs = list(zip(names, names[1:]))
    elif topology == "ring":
        pairs = list(zip(names, names[1:])) + ([(names[-1], names[0])] if k > 2 else [])
    else:
        pairs = [(names[0], b) for b in names[1:]]
    links = {p: Link(bell_pair_fidelity=float(rng.uniform(0.8, 1.0))) for p in pairs}
    return Cluster(qpus=qpus, links=links, name=f"rand-{topology}-{seed}")


def assert_lowering_equivalent(circuit: Circuit, cluster: Cluster, assignment) -> None:
    """Exact check: the explicit distributed program equals the monolithic circuit."""
    prog = lower(circuit, cluster, assignment)
    ex = prog.explicit_circuit()
    got = simulate(ex.circuit, keep_clbits=ex.num_user_clbits)
    want = simulate(circuit)
    n = circuit.num_qubits
    np.testing.assert_allclose(got.density_matrix(range(n)), want.density_matrix(), atol=1e-9)
    if circuit.num_clbits:
        gp, wp = got.probabilities(), want.probabilities()
        for key in set(gp) | set(wp):
            assert abs(gp.get(key, 0.0) - wp.get(key, 0.0)) < 1e-9, key
