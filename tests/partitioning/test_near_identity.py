"""Near-identity two-qubit gates are dropped only within the stated tolerance, and said so."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.partitioning._helpers import qft
from tests.partitioning.test_canonical import unitary
from welinq_core import gates
from welinq_core.circuit import Circuit, Operation
from welinq_core.cluster import Cluster
from welinq_core.errors import OptionsError
from welinq_core.lowering import canonicalize, count_bell_pairs, lower
from welinq_core.lowering.near_identity import (
    NEAR_IDENTITY_TOLERANCE,
    distance_from_identity,
    drop_near_identity,
)
from welinq_core.reference import simulate

SMALL = st.builds(lambda s, e: s * 10.0**e, st.sampled_from([-1.0, 1.0]), st.floats(-7.0, -1.0))
ANY = st.one_of(SMALL, st.floats(-3.2, 3.2, allow_nan=False))


@st.composite
def tiny_gate_circuits(draw, n: int = 4):
    """Circuits of h layers and controlled phases in several spellings, many of them tiny."""
    ops: list[Operation] = []
    for _ in range(draw(st.integers(1, 10))):
        kind = draw(st.sampled_from(["h", "cp", "crz", "rzz", "cx-p-cx", "cx-u-cx", "cx"]))
        a, b = draw(st.permutations(range(n)))[:2]
        if kind == "h":
            ops.append(Operation(name="h", qubits=(a,)))
        elif kind in ("cp", "crz", "rzz"):
            ops.append(Operation(name=kind, qubits=(a, b), params=(draw(ANY),)))
        elif kind == "cx":
            ops.append(Operation(name="cx", qubits=(a, b)))
        else:
            diag = (Operation(name="p", qubits=(b,), params=(draw(ANY),)) if kind == "cx-p-cx"
                    else Operation(name="u", qubits=(b,), params=(0.0, draw(ANY), draw(ANY))))
            ops += [Operation(name="cx", qubits=(a, b)), diag, Operation(name="cx", qubits=(a, b))]
    return Circuit(num_qubits=n, operations=ops)


def _phase_distance(a: np.ndarray, b: np.ndarray) -> float:
    """min over phi of ||a - exp(i phi) b|| (operator norm), by a fine scan of phi.

    ``b^dagger a`` is unitary (normal), so the norm is the largest ``|lambda - exp(i phi)|``
    over its eigenvalues; the scan covers every phase within the eigenvalues' spread.
    """
    lam = np.linalg.eigvals(b.conj().T @ a)
    c = np.angle(lam.mean())
    spread = float(np.abs(np.angle(lam * np.exp(-1j * c))).max()) + 1e-15
    phis = c + np.linspace(-spread, spread, 4001)
    return float(np.abs(lam[None, :] - np.exp(1j * phis)[:, None]).max(axis=1).min())


@settings(max_examples=60, deadline=None)
@given(tiny_gate_circuits(), st.floats(-6.0, -2.0))
def test_dropped_circuit_is_within_the_reported_distance(circuit, log_tol):
    tol = 10.0**log_tol
    r = drop_near_identity(circuit, tolerance=tol)
    assert r.max_distance <= tol
    assert r.total_distance <= r.dropped * tol
    two_qubit = [op for op in circuit.operations if len(op.qubits) == 2]
    kept = [op for op in r.circuit.operations if len(op.qubits) == 2]
    assert len(kept) <= len(two_qubit)
    # The unitaries differ by at most the sum of the dropped distances (up to a global phase).
    assert _phase_distance(unitary(circuit), unitary(r.circuit)) <= r.total_distance * (1 + 1e-3) + 1e-9


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["cp", "crz", "rzz", "cx-p-cx"]), SMALL, st.floats(-6.0, -2.0))
def test_a_gate_is_dropped_exactly_when_it_is_within_the_tolerance(kind, theta, log_tol):
    tol = 10.0**log_tol
    if kind == "cx-p-cx":
        ops = [Operation(name="cx", qubits=(0, 1)), Operation(name="p", qubits=(1,), params=(theta,)),
               Operation(name="cx", qubits=(0, 1))]
    else:
        ops = [Operation(name=kind, qubits=(0, 1), params=(theta,))]
    # Closed form: a diagonal gate with phases f_ab is 2 sin(|chi| / 8) from its one-qubit part,
    # chi = f00 - f01 - f10 + f11 (for cx-p(theta)-cx, chi = -2 theta and the part is the identity).
    f = np.angle(np.diag(unitary(Circuit(num_qubits=2, operations=ops))))
    chi = math.remainder(f[0] - f[1] - f[2] + f[3], 2 * math.pi)
    d = 2 * math.sin(abs(chi) / 8)
    if abs(d - tol) < 1e-9 * tol:
        return  # too close to call in floating point
    r = drop_near_identity(Circuit(num_qubits=2, operations=ops), tolerance=tol)
    assert r.dropped == (1 if d <= tol else 0)
    assert all(len(op.qubits) == 1 for op in r.circuit.operations) == (d <= tol)
    if r.dropped:
        assert r.max_distance == pytest.approx(d, rel=1e-6, abs=1e-15)


def test_spellings_of_one_controlled_phase_are_dropped_alike():
    # cp(theta) and u1(theta/2) - cx - u1(-theta/2) - cx - u1(theta/2) (QASMBench's spelling).
    for theta in (math.pi / 2**39, math.pi / 2**40, math.pi / 2**41):
        cp = Circuit(num_qubits=2, operations=[Operation(name="cp", qubits=(1, 0), params=(theta,))])
        spelled = Circuit(num_qubits=2, operations=[
            Operation(name="p", qubits=(1,), params=(theta / 2,)), Operation(name="cx", qubits=(1, 0)),
            Operation(name="p", qubits=(0,), params=(-theta / 2,)), Operation(name="cx", qubits=(1, 0)),
            Operation(name="p", qubits=(0,), params=(theta / 2,))])
        a, b = drop_near_identity(cp), drop_near_identity(spelled)
        assert a.dropped == b.dropped and a.max_distance == pytest.approx(b.max_distance, rel=1e-9)


def test_distance_is_the_operator_norm_to_the_nearest_phase():
    for theta in (1e-9, 0.1, 1.0, 3.0):
        u = gates.gate_matrix("cp", (theta,))
        # brute force over the global phase
        grid = np.linspace(-math.pi, math.pi, 20001)
        brute = min(np.linalg.norm(u - np.exp(1j * p) * np.eye(4), 2) for p in grid)
        assert distance_from_identity(u) == pytest.approx(brute, abs=1e-3 * max(theta, 1e-6))


def test_distributed_program_equals_the_original_to_the_tolerance():
    # A 4-qubit QFT with two deliberately small controlled phases, one spelled cx-p-cx.
    base = list(qft(4).operations)
    eps = 4e-4
    extra = [Operation(name="cp", qubits=(0, 3), params=(eps,)),
             Operation(name="cx", qubits=(1, 2)), Operation(name="p", qubits=(2,), params=(-eps,)),
             Operation(name="cx", qubits=(1, 2))]
    circuit = Circuit(num_qubits=4, operations=[Operation(name="h", qubits=(q,)) for q in range(4)] + extra + base)
    r = drop_near_identity(circuit, tolerance=1e-3)
    assert r.dropped == 2 and r.max_distance <= 1e-3
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, comm_qubits_per_qpu=8)
    assignment = ("qpu0", "qpu1", "qpu0", "qpu1")
    prog = lower(r.circuit, cluster, assignment)
    ex = prog.explicit_circuit()
    got = simulate(ex.circuit, keep_clbits=ex.num_user_clbits).density_matrix(range(4))
    want = simulate(circuit).density_matrix()
    diff = np.abs(got - want).max()
    assert diff <= 2 * r.total_distance + 1e-9
    assert diff > 1e-6  # the approximation is real, and bounded, not hidden
    assert count_bell_pairs(r.circuit, cluster, assignment) < count_bell_pairs(circuit, cluster, assignment)


def test_default_tolerance_keeps_every_gate_of_a_29_qubit_qft_and_drops_the_far_ones_of_63():
    # cp(pi / 2**k) loses its interaction once 2 sin(pi / 2**(k + 3)) <= 1e-12, i.e. k >= 40.
    assert drop_near_identity(qft(29)).dropped == 0
    r = drop_near_identity(qft(63))
    assert r.dropped == sum(63 - k for k in range(40, 63)) and r.max_distance <= NEAR_IDENTITY_TOLERANCE
    assert not any(op.name == "cp" and abs(op.qubits[0] - op.qubits[1]) >= 40 for op in r.circuit.operations)


def test_tolerance_zero_drops_only_exact_identities():
    ops = [Operation(name="cp", qubits=(0, 1), params=(1e-15,)), Operation(name="cx", qubits=(0, 1)),
           Operation(name="p", qubits=(1,), params=(0.0,)), Operation(name="cx", qubits=(0, 1))]
    r = drop_near_identity(Circuit(num_qubits=2, operations=ops), tolerance=0.0)
    assert r.dropped == 1 and [op.name for op in r.circuit.operations] == ["cp"]


def test_canonical_form_keeps_tiny_phases_whatever_the_spelling():
    # Without the explicit drop, a 1e-11 rad phase costs the same in either spelling.
    theta = 1e-11
    cp = Circuit(num_qubits=2, operations=[Operation(name="cp", qubits=(0, 1), params=(theta,))])
    cxp = Circuit(num_qubits=2, operations=[Operation(name="cx", qubits=(0, 1)),
                                            Operation(name="p", qubits=(1,), params=(theta,)),
                                            Operation(name="cx", qubits=(0, 1))])
    assert len(canonicalize(cp).operations) == len(canonicalize(cxp).operations) == 1


@pytest.mark.parametrize("bad", [-1e-12, float("nan"), float("inf"), "1e-12", True])
def test_bad_tolerance_is_an_options_error(bad):
    with pytest.raises(OptionsError, match="tolerance"):
        drop_near_identity(qft(2), tolerance=bad)
