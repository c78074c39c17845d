"""schedule() runs its reference simulations (instantaneous pairs; zero latency) only when
they can differ from the seeded run: its Schedule must equal the one built from all three."""

from __future__ import annotations


import numpy as np
from hypothesis import given, settings, strategies as st

from tests.schedule._helpers import draw_timed_cluster
from tests.strategies import assignments_for, dynamic_circuits
from welinq_core import Link, lower
from welinq_core.physics import QuantumMemory
from welinq_core.schedule import (
    assemble_schedule,
    bank_capacities,
    distillation_rounds_per_link,
    schedule,
)
from welinq_core.schedule.simulation import simulate_shot

LINKS = [
    Link(),  # instantaneous, no latency: one simulation
    Link(bell_pair_fidelity=0.97),
    Link(length_km=2.0),  # instantaneous with latency: two
    Link(bell_pair_fidelity=0.95, memory=QuantumMemory.ideal(cutoff_s=1e-9)),  # cutoff, instantaneous
    Link(bell_pair_rate_hz=2e4),  # finite rate: three
    Link(bell_pair_rate_hz=5e3, length_km=1.0, memory=QuantumMemory.ideal(cutoff_s=5e-4)),
    Link(bell_pair_fidelity=0.9, distillation="dejmps"),  # distils: three
]


def three_runs(program, *, seed: int, bank: bool):
    """The schedule as built before: both reference runs simulated, whatever the links."""
    distilled = distillation_rounds_per_link(program.cluster, None, None, None)
    capacities = bank_capacities(program.cluster, bank=bank, bank_capacity=None)
    with_latency = simulate_shot(program, rng=None, capacities=capacities, warmup_s=0.0,
                                 instant_pairs=True, zero_latency=False)
    local = simulate_shot(program, rng=None, capacities=capacities, warmup_s=0.0,
                          instant_pairs=True, zero_latency=True)
    run = simulate_shot(program, rng=np.random.default_rng(seed), capacities=capacities, warmup_s=0.0,
                        instant_pairs=False, zero_latency=False, distillation=distilled)
    return assemble_schedule(program, run, with_latency.makespan, local.makespan, bank=bank, seed=seed)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_schedule_equals_the_three_run_schedule(data):
    circuit = data.draw(dynamic_circuits(max_qubits=5, max_ops=12))
    cluster = draw_timed_cluster(data, circuit.num_qubits, LINKS)
    assignment = data.draw(assignments_for(circuit.num_qubits, cluster))
    program = lower(circuit, cluster, assignment, protocols=data.draw(st.sampled_from(["auto", "telegate"])))
    seed = data.draw(st.integers(0, 100))
    bank = data.draw(st.booleans())
    new = schedule(program, seed=seed, bank=bank)
    old = three_runs(program, seed=seed, bank=bank)
    assert new == old
    assert (new.makespan_s, new.latency_makespan_s, new.local_makespan_s, new.bottleneck, new.verdict) == (
        old.makespan_s, old.latency_makespan_s, old.local_makespan_s, old.bottleneck, old.verdict)
    assert new.summary() == old.summary()


def test_instantaneous_links_without_latency_simulate_once(monkeypatch):
    """The saving itself: one event simulation on instantaneous, latency-free links, three on slow ones."""
    import importlib

    from tests.schedule._helpers import line_program

    sched = importlib.import_module("welinq_core.schedule")  # (welinq_core.schedule is also the function)

    calls = []
    real = sched.simulate_shot

    def counting(*args, **kwargs):
        calls.append(kwargs["instant_pairs"])
        return real(*args, **kwargs)

    monkeypatch.setattr(sched, "simulate_shot", counting)
    schedule(line_program(Link(bell_pair_fidelity=0.97)), seed=1)
    assert calls == [False]
    calls.clear()
    schedule(line_program(Link(bell_pair_rate_hz=1e3, length_km=1.0)), seed=1)
    assert sorted(calls) == [False, True, True]
