"""Per-shot schedules rendered once: every location a shot may draw a fixed error at is a
drawn event of one rendering. For every key (a shot's fixed errors) the mixture of that
rendering equals the rendering made for that key alone (the previous path), as density
matrices with their classical records, to 1e-9."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from _dm import reduced, simulate_dm
from test_per_shot_schedule import _small_case, _three_qpu_case
from test_teledata_noise import teledata_programs
from welinq_core.cluster import Cluster
from welinq_core.errors import OptionsError
from welinq_core.noise import DrawnLocations, add_noise
from welinq_core.noise.locations import OUTCOME_OF
from welinq_core.pipeline import compile_program
from welinq_core.shot_schedules import draw_shot_schedules
from welinq_core.shots import plan_shots


def _mixture(drawn, fixed: dict[int, int], keep: int) -> dict[tuple[int, ...], np.ndarray]:
    """Sum over every outcome combination (events in ``fixed`` at their outcome) of its
    probability times the exact density matrices of its circuit."""
    per_event = [[(1.0, fixed[j])] if j in fixed else [(p, k) for k, p in enumerate(ev.probabilities) if p > 0]
                 for j, ev in enumerate(drawn.events)]
    assert np.prod([len(x) for x in per_event]) <= 300
    out: dict[tuple[int, ...], np.ndarray] = {}
    for combo in itertools.product(*per_event):
        weight = float(np.prod([p for p, _ in combo]))
        for bits, rho in simulate_dm(drawn.circuit_for([k for _, k in combo]), keep_clbits=keep).items():
            out[bits] = out.get(bits, 0) + weight * rho
    return out


def _reference(program, inputs: dict, keep: int) -> dict[tuple[int, ...], np.ndarray]:
    """The rendering for one key alone (effective, drawn), mixed over its own drawn events."""
    noisy = add_noise(program, mode="effective", effective_rendering="drawn", **inputs)
    if noisy.drawn is None:
        return simulate_dm(noisy.circuit, keep_clbits=keep)
    return _mixture(noisy.drawn, {}, keep)


@pytest.mark.parametrize("three", [False, True])
def test_every_key_of_the_one_rendering_equals_its_own_rendering(three):
    cluster, circuit = _three_qpu_case() if three else _small_case(gate_noise=False)
    # no readout error either: fewer outcome combinations for the exact check to enumerate
    quiet = dataclasses.replace(cluster.qpus[0], readout_error=0.0)
    cluster = Cluster.homogeneous(num_qpus=len(cluster.qpus), data_qubits_per_qpu=1, qpu=quiet,
                                  link=cluster.links[0][1])
    compiled = compile_program(circuit, cluster, assignment=tuple(q.name for q in cluster.qpus), seed=0,
                               draw_per_shot=True)
    draws = draw_shot_schedules(compiled, 1000, np.random.default_rng(2))
    keys = set(draws.keys)
    locations = DrawnLocations(
        pairs=tuple(sorted({k for labels, _, _ in keys for k, lab in enumerate(labels) if lab})),
        idles=tuple(sorted({(s, q) for _, idl, _ in keys for s, q, _ in idl})),
        copies=tuple(sorted({s for _, _, cps in keys for s, _ in cps})))
    assert locations.idles and bool(locations.copies) == three and (three or locations.pairs)
    once = add_noise(compiled.program, mode="effective", effective_rendering="drawn", pair_states=draws.pair_base,
                     idle_durations=list(draws.idle_base), copy_idle_durations=dict(draws.copy_base),
                     drawn_locations=locations)
    where = once.location_events
    assert set(where) == set(locations.keys())

    def fixed_of(key):
        labels, idl, cps = key
        fixed = {where[("pair", k)]: OUTCOME_OF[lab] for k, lab in enumerate(labels) if lab}
        fixed.update({where[("idle", s, q)]: OUTCOME_OF[lab] for s, q, lab in idl})
        fixed.update({where[("copy", s)]: OUTCOME_OF[lab] for s, lab in cps})
        return fixed

    def combos(key):  # outcome combinations left to mix (the exact check enumerates them)
        fixed = fixed_of(key)
        return np.prod([1 if j in fixed else sum(p > 0 for p in ev.probabilities)
                        for j, ev in enumerate(once.drawn.events)])

    ordered = sorted(keys, key=lambda k: (combos(k), k))
    checked = [k for k in ordered if combos(k) <= 300]
    checked = checked[:3] + [k for k in checked[3:] if any(k[0])][:1] + [k for k in checked[3:] if k[2]][:1]
    for key in checked:
        got = _mixture(once.drawn, fixed_of(key), 2)
        ref = _reference(compiled.program, draws.noise_inputs(key), 2)
        assert set(got) == set(ref)
        for bits in ref:
            assert np.abs(got[bits] - ref[bits]).max() < 1e-9, (key, bits)
    # keys with fixed pair, idle and (three QPUs) copy errors were checked
    assert any(k[1] for k in checked) and (three or any(any(k[0]) for k in checked))
    assert any(k[2] for k in checked) == three


_ONE_HOT = {"I": (1.0, 0.0, 0.0, 0.0), "X": (0.0, 1.0, 0.0, 0.0), "Y": (0.0, 0.0, 1.0, 0.0),
            "Z": (0.0, 0.0, 0.0, 1.0)}


def _data_rho(mix: dict, num_qubits: int, n: int) -> np.ndarray:
    return reduced(sum(mix.values()), list(range(n)), num_qubits)


@given(teledata_programs(noisy=True), st.data())
@settings(max_examples=12, deadline=None)
def test_drawn_pairs_of_teleports_and_packets_and_idle_waits_are_exact(case, data):
    """Any program with TeleData moves (and packets), any drawn pairs and idle waits, each kept
    at its base channel or fixed to a Pauli: the one rendering equals the rendering with
    one-hot pair states and Pauli-labelled idle entries, as density matrices to 1e-9."""
    prog, states = case
    n = prog.circuit.num_qubits
    idle = [(s, q, 1e-5 * (1 + s % 3)) for s in range(len(prog.steps)) for q in range(n) if (s + q) % 2]
    pairs = data.draw(st.lists(st.integers(0, prog.num_bell_pairs - 1), min_size=1, max_size=2, unique=True))
    idles = data.draw(st.lists(st.sampled_from([(s, q) for s, q, _ in idle] + [(0, 0)]), max_size=2, unique=True))
    labels = {loc: data.draw(st.sampled_from(["", "I", "X", "Y", "Z"]))
              for loc in [("pair", k) for k in pairs] + [("idle", s, q) for s, q in idles]}
    once = add_noise(prog, mode="effective", effective_rendering="drawn", pair_states=states, idle_durations=idle,
                     drawn_locations=DrawnLocations(pairs=tuple(sorted(pairs)), idles=tuple(sorted(idles))))
    fixed = {once.location_events[loc]: OUTCOME_OF[lab] for loc, lab in labels.items() if lab}
    assume(np.prod([1 if j in fixed else sum(p > 0 for p in ev.probabilities)
                    for j, ev in enumerate(once.drawn.events)]) <= 300)
    ref_states = [_ONE_HOT[labels[("pair", k)]] if labels.get(("pair", k)) else st_ for k, st_ in enumerate(states)]
    drawn_idle = {(loc[1], loc[2]): lab for loc, lab in labels.items() if loc[0] == "idle" and lab}
    ref_idle = [(s, q, t) for s, q, t in idle if (s, q) not in drawn_idle] + [(s, q, lab) for (s, q), lab in
                                                                             drawn_idle.items()]
    ref = add_noise(prog, mode="effective", effective_rendering="drawn", pair_states=ref_states,
                    idle_durations=sorted(ref_idle, key=lambda e: (e[0], e[1])))
    assume(ref.drawn is None or ref.drawn.num_combinations() <= 300)
    want = simulate_dm(ref.circuit) if ref.drawn is None else _mixture(ref.drawn, {}, 0)
    got = _mixture(once.drawn, fixed, 0)
    a = _data_rho(got, once.drawn.num_qubits, n)
    b = _data_rho(want, ref.circuit.num_qubits, n)
    assert abs(np.trace(a) - 1) < 1e-9 and np.abs(a - b).max() < 1e-9


def test_plan_shots_renders_once_and_groups_share_it():
    cluster, circuit = _small_case()
    compiled = compile_program(circuit, cluster, assignment=("qpu0", "qpu1"), seed=0, draw_per_shot=True)
    groups, stats = plan_shots(compiled, shots=500, seed=3)
    assert stats.keys > 20 and len(groups) > 20
    assert all(g.drawn is groups[0].drawn and g.own_circuit is None for g in groups)
    assert sorted(np.concatenate([g.shots for g in groups]).tolist()) == list(range(500))
    again, _ = plan_shots(compiled, shots=500, seed=3)  # same seed, same groups
    assert [(g.choices, g.shots.tolist()) for g in again] == [(g.choices, g.shots.tolist()) for g in groups]
    # the explicit mode keeps one rendering per key
    explicit = compile_program(circuit, cluster, assignment=("qpu0", "qpu1"), seed=0, mode="explicit",
                               draw_per_shot=True)
    ex_groups, _ = plan_shots(explicit, shots=50, seed=3)
    assert all(g.own_circuit is not None for g in ex_groups)


def test_drawn_locations_need_the_drawn_effective_rendering():
    cluster, circuit = _small_case()
    compiled = compile_program(circuit, cluster, assignment=("qpu0", "qpu1"), seed=0, draw_per_shot=True)
    with pytest.raises(OptionsError, match="effective_rendering='drawn'"):
        add_noise(compiled.program, mode="explicit", drawn_locations=DrawnLocations(pairs=(0,)))
    with pytest.raises(OptionsError, match="outside"):
        add_noise(compiled.program, mode="effective", effective_rendering="drawn",
                  drawn_locations=DrawnLocations(pairs=(99,)))
    with pytest.raises(OptionsError, match="non-negative"):
        DrawnLocations(pairs=(-1,))
