"""Shared pieces of the conformance suite: library circuits and exact statistical checks."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import (
    CDKMRippleCarryAdder,
    DraperQFTAdder,
    MCXGate,
    PauliEvolutionGate,
    QFTGate,
    UnitaryGate,
    VBERippleCarryAdder,
    efficient_su2,
    grover_operator,
    n_local,
    qaoa_ansatz,
    quantum_volume,
    real_amplitudes,
)
from qiskit.quantum_info import SparsePauliOp, Statevector, random_unitary
from scipy.stats import chisquare

#: Smallest p-value accepted (tests are seeded, so each is a fixed check; a wrong
#: distribution at these sizes gives p far below this, see the negative controls).
P_MIN = 1e-4


def exact_probabilities(qc: QuantumCircuit) -> dict[str, float]:
    """Exact outcome probabilities of a circuit whose measurements all come at the end."""
    bare = qc.remove_final_measurements(inplace=False)
    probs = Statevector(bare).probabilities_dict()
    measured = [(qc.find_bit(i.qubits[0]).index, qc.find_bit(i.clbits[0]).index)
                for i in qc.data if i.operation.name == "measure"]
    n = qc.num_clbits
    out: dict[str, float] = {}
    for key, p in probs.items():
        bits = ["0"] * n
        for q, c in measured:
            bits[n - 1 - c] = key[len(key) - 1 - q]
        k = "".join(bits)
        out[k] = out.get(k, 0.0) + p
    return out


def goodness_of_fit(counts: dict[str, int], probs: dict[str, float]) -> float:
    """p-value of Pearson's chi-square test of ``counts`` against exact ``probs``; 0.0 if an
    outcome of probability zero was observed. Bins expected below 5 counts are pooled."""
    counts = {k.replace(" ", ""): v for k, v in counts.items()}
    shots = sum(counts.values())
    support = {k for k, p in probs.items() if p > 1e-9}
    if set(counts) - support:
        return 0.0
    obs, exp = [], []
    pool_o = pool_e = 0.0
    for k in sorted(support):
        e = probs[k] * shots
        if e < 5:
            pool_o += counts.get(k, 0)
            pool_e += e
        else:
            obs.append(counts.get(k, 0))
            exp.append(e)
    if pool_e > 0:
        obs.append(pool_o)
        exp.append(pool_e)
    if len(obs) < 2:
        return 1.0
    exp_arr = np.array(exp) * (sum(obs) / sum(exp))
    return float(chisquare(obs, exp_arr).pvalue)


def library_circuits() -> dict[str, QuantumCircuit]:
    """Circuits from Qiskit's circuit library, each on at most 8 qubits, measured at the end."""
    out: dict[str, QuantumCircuit] = {}
    qft = QuantumCircuit(6)
    qft.x([0, 3])
    qft.h(5)
    qft.append(QFTGate(6), range(6))
    out["qft"] = qft
    out["quantum_volume"] = quantum_volume(6, depth=3, seed=7)
    oracle = QuantumCircuit(3)
    oracle.cz(0, 2)
    grover = QuantumCircuit(3)
    grover.h(range(3))
    grover.compose(grover_operator(oracle), inplace=True)
    out["grover_operator"] = grover
    for name, ansatz in {
        "n_local": n_local(5, ["ry", "rz"], "cx", reps=2, entanglement="full"),
        "efficient_su2": efficient_su2(5, reps=1),
        "real_amplitudes": real_amplitudes(5, reps=2, entanglement="reverse_linear"),
        "qaoa_ansatz": qaoa_ansatz(SparsePauliOp.from_sparse_list(
            [("ZZ", [i, (i + 1) % 5], 1.0) for i in range(5)], num_qubits=5), reps=2),
    }.items():
        rng = np.random.default_rng(len(name))
        out[name] = ansatz.assign_parameters(rng.uniform(-np.pi, np.pi, ansatz.num_parameters))
    for name, adder in {
        "cdkm_adder": CDKMRippleCarryAdder(3, kind="full"),
        "draper_adder": DraperQFTAdder(3, kind="fixed"),
        "vbe_adder": VBERippleCarryAdder(2, kind="full"),
    }.items():
        qc = QuantumCircuit(adder.num_qubits)
        qc.x(0)  # a = 1 (or carry-in)
        qc.h(adder.num_qubits // 2)
        qc.x(1)
        qc.compose(adder, inplace=True)
        out[name] = qc
    mcx = QuantumCircuit(5)
    mcx.h(range(4))
    mcx.append(MCXGate(4), range(5))
    out["mcx"] = mcx
    init = QuantumCircuit(4)
    state = np.random.default_rng(3).normal(size=16) + 1j * np.random.default_rng(4).normal(size=16)
    init.initialize(state / np.linalg.norm(state), range(4))
    init.cx(0, 3)
    out["initialize"] = init
    uni = QuantumCircuit(5)
    uni.h(range(5))
    uni.append(UnitaryGate(random_unitary(4, seed=9)), [0, 4])
    uni.append(UnitaryGate(random_unitary(8, seed=10)), [1, 2, 3])
    out["unitary_gate"] = uni
    evo = QuantumCircuit(4)
    evo.h(range(4))
    op = SparsePauliOp(["XXII", "IIZZ", "ZZZZ", "YYII"], coeffs=[0.4, 0.7, -0.3, 0.5])  # commuting: Trotter is exact
    evo.append(PauliEvolutionGate(op, time=0.8), range(4))
    out["pauli_evolution"] = evo
    for qc in out.values():
        qc.measure_all()
    return out
