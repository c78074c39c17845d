"""The delivered pair of a distilling link: equal to what the schedule hands out on a
deterministic link, and what `welinq links`, the key rates and the Qiskit Target quote."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tests.schedule._helpers import TIMED_QPU
from welinq_core import Cluster, Link
from welinq_core.delivered import delivered_pair, delivered_rate_hz, distillation_levels
from welinq_core.key_rates import cluster_key_rates
from welinq_core.pair_source import PairSource
from welinq_core.physics import BellPair, QuantumMemory, age, distill
from welinq_core.physics.qkd import bbm92_key_rate
from welinq_core.schedule.distillation import DistillingSource

GEN_S = 2e-4
TAU_S = 2e-2


def _link(rounds: int, protocol: str = "dejmps", **kw) -> Link:
    return Link(bell_pair_fidelity=0.85, attempt_duration_s=GEN_S, attempt_success_probability=1.0,
                length_km=1.0, memory=QuantumMemory.depolarizing(time_s=TAU_S), distillation=protocol,
                distillation_rounds=rounds, **kw)


@pytest.mark.parametrize("rounds", [1, 2, 3])
@pytest.mark.parametrize("protocol", ["dejmps", "bbpssw"])
def test_delivered_pair_is_what_the_schedule_hands_out_on_a_deterministic_link(rounds, protocol):
    link = _link(rounds, protocol)
    qpus = (TIMED_QPU, TIMED_QPU)
    for seed in range(200):  # a seed whose rounds all succeed (failures redo rounds later)
        rng = np.random.default_rng(seed)
        src = DistillingSource(PairSource(link, capacity=0, rng=rng), link=link, qpus=qpus, rounds=rounds,
                               protocol=protocol, rng=rng)
        ready, _, _ = src.request(0.0)
        if src.num_failures == 0:
            break
    else:
        pytest.skip("no seed without failures")  # pragma: no cover
    expected = delivered_pair(link, qpus=qpus)
    assert src.pair_state(ready).probabilities == pytest.approx(expected.probabilities, abs=1e-12)
    # ready after 2**rounds generations, each round's gates and one classical exchange per round
    round_s = TIMED_QPU.two_qubit_gate_duration_s + TIMED_QPU.measurement_duration_s
    assert ready == pytest.approx(2 ** rounds * GEN_S + rounds * (round_s + link.latency_s), abs=1e-15)


def test_one_round_by_hand():
    link = _link(1)
    raw = BellPair.werner(0.85)
    mem = link.memory
    earlier = age(raw, GEN_S, GEN_S, mem, mem)  # waits one generation for its partner
    out = distill(earlier, raw, protocol="dejmps")
    wait = link.latency_s  # no QPUs given: the round's gates take no time
    expected = age(out.pair, wait, wait, mem, mem)
    assert delivered_pair(link).probabilities == pytest.approx(expected.probabilities, abs=1e-15)
    assert delivered_rate_hz(link) == pytest.approx(link.bell_pair_rate_hz * out.success_probability / 2, rel=1e-12)


def test_rate_counts_the_raw_pairs_of_every_level():
    link = _link(2)
    (_, p0), (_, p1), (_, p2) = distillation_levels(link)
    assert p0 == 1.0
    assert delivered_rate_hz(link) == pytest.approx(link.bell_pair_rate_hz / (4 / (p1 * p2)), rel=1e-12)


def test_links_without_a_policy_deliver_the_raw_pair():
    link = Link(bell_pair_fidelity=0.9, bell_pair_rate_hz=50.0, memory=QuantumMemory.depolarizing(time_s=1.0))
    assert delivered_pair(link).probabilities == BellPair.from_probabilities(link.pauli_probabilities).probabilities
    assert delivered_rate_hz(link) == 50.0
    assert delivered_rate_hz(Link(bell_pair_fidelity=0.9)) is None


def _cluster(link: Link, num_qpus: int = 2) -> Cluster:
    return Cluster.homogeneous(num_qpus=num_qpus, data_qubits_per_qpu=1, topology="line", qpu=TIMED_QPU,
                               link=link)


def test_key_rates_and_cli_quote_the_delivered_pair(tmp_path, capsys):
    link = Link(bell_pair_fidelity=0.85, bell_pair_rate_hz=100.0, length_km=1.0, distillation="dejmps",
                distillation_rounds=1, memory=QuantumMemory.depolarizing(time_s=10.0))
    cluster = _cluster(link, num_qpus=3)
    qpus = (TIMED_QPU, TIMED_QPU)
    pair, rate = delivered_pair(link, qpus=qpus), delivered_rate_hz(link, qpus=qpus)
    assert pair.fidelity > link.bell_pair_fidelity  # distillation pays off here
    rows = {r.label: r for r in cluster_key_rates(cluster)}
    hop = rows["qpu0-qpu1"].estimate
    assert hop.fidelity == pytest.approx(pair.fidelity, abs=1e-15)
    assert hop.pair_rate_hz == pytest.approx(rate, rel=1e-15)
    assert hop.secret_key_rate_bps == pytest.approx(bbm92_key_rate(pair, rate).secret_key_rate_bps, rel=1e-12)
    from welinq_core.physics import swap_chain

    route = rows["qpu0-qpu1-qpu2"].estimate
    assert route.fidelity == pytest.approx(swap_chain([pair, pair]).fidelity, abs=1e-15)

    from qiskit_welinq.cli import main

    path = tmp_path / "distilling.json"
    path.write_text(cluster.to_json())
    assert main(["links", str(path), "--json", "--no-routes"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rows"][0]["fidelity"] == pytest.approx(pair.fidelity, abs=1e-12)
    assert main(["links", str(path), "--no-routes"]) == 0
    text = capsys.readouterr().out
    assert f"F {pair.fidelity:.4f}" in text
    assert "(distilled: dejmps, 1 round(s) from raw F 0.8500 at 100 Hz)" in text


def test_qiskit_target_quotes_the_delivered_pair_and_rate():
    pytest.importorskip("qiskit")
    from qiskit_welinq.target import remote_gate_cost, target_from_cluster

    link = Link(bell_pair_fidelity=0.85, bell_pair_rate_hz=100.0, distillation="dejmps", distillation_rounds=1)
    cluster = _cluster(link)
    pair = delivered_pair(link, qpus=(TIMED_QPU, TIMED_QPU))
    cost = remote_gate_cost(cluster, "cx", "qpu0", "qpu1")
    # perfect local operations and memory: the remote gate's process fidelity is the delivered pair's
    assert cost.process_fidelity == pytest.approx(pair.fidelity, abs=1e-12)
    assert target_from_cluster(cluster)["cx"][(0, 1)].error == pytest.approx((1 - pair.fidelity) * 4 / 5, abs=1e-12)
    raw = remote_gate_cost(_cluster(Link(bell_pair_fidelity=0.85, bell_pair_rate_hz=100.0)), "cx", "qpu0", "qpu1")
    # the expected wait is one delivered pair's, slower than a raw pair's
    assert cost.duration_s - raw.duration_s == pytest.approx(
        1 / delivered_rate_hz(link, qpus=(TIMED_QPU, TIMED_QPU)) - 1 / 100.0, rel=1e-9)
    assert not math.isclose(cost.duration_s, raw.duration_s)
