"""Shot groups run on the slot template (a few groups per Aer call, each call without the
placeholders its groups leave at the identity) sample every shot from its own group's
circuit: the counts agree, within shot noise, with the exact distributions of the circuits
the shots drew (density matrices), feed-forward and readout errors included; same seed,
same counts."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from scipy.stats import chi2

from _dm import clbit_distribution
from qiskit_welinq import ClusterBackend
from qiskit_welinq.engine import sample_program
from welinq_core.cluster import QPU, Cluster, Link
from welinq_core.shots import plan_shots


def _case():
    qpu = QPU(name="t", num_data_qubits=2, single_qubit_gate_error=0.01, two_qubit_gate_error=0.02,
              readout_error=0.03)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, qpu=qpu, link=Link(bell_pair_fidelity=0.7))
    qc = QuantumCircuit(4, 3)
    qc.h(range(4))
    for layer in range(3):
        qc.cp(1.3 + layer, 0, 2)
        qc.cp(0.9, 0, 3)
        qc.rx(0.6, range(4))
        qc.crz(1.7, 1, 2)
        qc.cp(2.1 - layer, 1, 3)
        qc.ry(0.4, range(4))
    qc.measure(1, 2)
    with qc.if_test((qc.clbits[2], 1)):
        qc.x(3)
    qc.measure([0, 2, 3], [0, 1, 2])  # clbit 2 written twice: the feed-forward reads the first
    backend = ClusterBackend(cluster, assignment={0: "qpu0", 1: "qpu0", 2: "qpu1", 3: "qpu1"})
    return backend, backend._prepare(qc, {**backend.options.__dict__})


def test_shot_groups_sample_each_shot_from_its_own_circuit():
    backend, compiled = _case()
    assert compiled.drawn is not None and compiled.drawn.num_placeholders > 0
    shots, seed = 1200, 21
    res = sample_program(compiled, shots=shots, seed=seed)
    assert res.metadata["shot_groups"] > 300, res.metadata  # many groups: several calls on the template
    # The exact distribution of every shot: its group's circuit (same seed, same groups).
    groups, _ = plan_shots(compiled, shots=shots, seed=seed)
    m = compiled.num_user_clbits
    expected = np.zeros(2**m)
    ignored = np.zeros(2**m)  # what the minor groups would give with the error-free circuit
    cache: dict = {}

    def dist(g):
        if g.choices not in cache:
            d = clbit_distribution(g.circuit(compiled), m)
            cache[g.choices] = np.array([d.get(tuple((v >> i) & 1 for i in range(m)), 0.0) for v in range(2**m)])
        return cache[g.choices]

    for g in groups:
        expected += g.num_shots * dist(g)
        ignored += g.num_shots * dist(groups[0] if g.num_shots < 4 else g)
    got = np.bincount(np.asarray(res.memory), minlength=2**m)
    # Pearson's chi-square against the exact expectation (2**m - 1 degrees of freedom).
    assert chi2.sf(((got - expected) ** 2 / expected).sum(), 2**m - 1) > 1e-4, (got, expected)
    # The check can fail: had the small groups lost their errors, the mean counts alone
    # would give a statistic far beyond the threshold (p < 1e-9).
    assert chi2.sf(((ignored - expected) ** 2 / expected).sum(), 2**m - 1) < 1e-9, (ignored, expected)


def test_shot_groups_same_seed_same_counts():
    _, compiled = _case()
    a = sample_program(compiled, shots=400, seed=3)
    b = sample_program(compiled, shots=400, seed=3)
    c = sample_program(compiled, shots=400, seed=4)
    assert a.metadata["shot_groups"] > 50
    assert a.memory == b.memory and a.memory != c.memory


def test_pruned_template_is_the_full_template_of_every_group():
    """Each call keeps only the placeholders its groups use: bound, its circuit is the full
    template's (every placeholder bound) once the identity ``u(0, 0, 0)`` gates are removed."""
    from qiskit_welinq.engine import _prepare
    from qiskit_welinq.slot_template import _U_OF, _template_qiskit, pruned_template

    _, compiled = _case()
    groups, _ = plan_shots(compiled, shots=300, seed=2)
    prep = _prepare(compiled.drawn.slot_template(), compiled, 1, "automatic")
    prep.converted = {}
    qc, where = _template_qiskit(prep, compiled)
    labels = [compiled.drawn.slot_paulis(g.choices) for g in groups[1:9]]
    pruned, binds = pruned_template(qc, where, labels)
    assert 0 < len(pruned.data) < len(qc.data)

    def ops(c):
        out = []
        for i in c.data:
            op = i.operation
            if op.name == "u" and all(float(p) == 0 for p in op.params):
                continue
            params = tuple(tuple(ops(b)) for b in op.blocks) if getattr(op, "blocks", ()) else \
                tuple(round(float(p), 12) for p in op.params if not hasattr(p, "data"))
            out.append((op.name, params, tuple(c.find_bit(q).index for q in i.qubits)))
        return out

    full_params = sorted(qc.parameters, key=lambda p: p.index)
    for e, row in enumerate(labels):
        mine = pruned.assign_parameters({p: v[e] for p, v in binds[0].items()})
        full = qc.assign_parameters({full_params[3 * i + a]: _U_OF[x][a] for i, x in enumerate(row) for a in range(3)})
        assert ops(mine) == ops(full)
        assert any(x != "I" for x in row) and len(ops(full)) > len(ops(qc.assign_parameters([0.0] * len(full_params))))


def _chi2_check(compiled, res, shots, seed):
    """Pearson's chi-square of the run's counts against the exact mixture of its groups' circuits."""
    groups, _ = plan_shots(compiled, shots=shots, seed=seed)
    m = compiled.num_user_clbits
    expected = np.zeros(2**m)
    cache: dict = {}
    for g in groups:
        if g.choices not in cache:
            d = clbit_distribution(g.circuit(compiled), m)
            cache[g.choices] = np.array([d.get(tuple((v >> i) & 1 for i in range(m)), 0.0) for v in range(2**m)])
        expected += g.num_shots * cache[g.choices]
    got = np.bincount(np.asarray(res.memory), minlength=2**m)
    return chi2.sf(((got - expected) ** 2 / expected).sum(), 2**m - 1)


def test_minor_groups_run_with_their_exact_shot_counts(monkeypatch):
    """Small groups are single-shot experiments, larger ones one experiment of their exact
    shot count: Aer simulates exactly the minor groups' shots (no padding), and the counts
    still follow the exact distribution of every shot's own circuit."""
    from qiskit_welinq import engine, slot_template

    _, compiled = _case()
    monkeypatch.setattr(slot_template, "BRANCH_MIN_SHOTS", 3)
    calls = []
    real = engine._run_prepared

    def spy(prep, compiled, *, shots, seed, qc=None, parameter_binds=None, experiments=1):
        calls.append((shots, experiments, parameter_binds is not None))
        return real(prep, compiled, shots=shots, seed=seed, qc=qc, parameter_binds=parameter_binds,
                    experiments=experiments)

    monkeypatch.setattr(engine, "_run_prepared", spy)
    shots, seed = 240, 8
    res = sample_program(compiled, shots=shots, seed=seed)
    groups, _ = plan_shots(compiled, shots=shots, seed=seed)
    sizes = sorted(g.num_shots for g in groups[1:])
    assert calls[0] == (groups[0].num_shots, 1, False)  # the main group: its own shots
    template = [(s, e) for s, e, bound in calls if bound]
    assert sum(s * e for s, e in template) == sum(sizes)  # nothing simulated twice or padded
    assert sorted(s for s, e in template if s > 1) == [k for k in sizes if k >= 3]  # alone, exact count
    assert sum(e for s, e in template if s == 1) == sum(k for k in sizes if k < 3)
    assert any(k == 2 for k in sizes) and any(k >= 3 for k in sizes)  # both paths taken
    assert _chi2_check(compiled, res, shots, seed) > 1e-4
