"""Shots in groups: each shot draws its own noise events; shots that drew the same share a circuit.

:func:`plan_shots` splits the shots of a compiled program into :class:`ShotGroup`
objects, each a circuit (the IR) and the indices of the shots it serves. An engine
simulates every group for its number of shots, with the remaining noise (local gate
and readout errors, link errors that are Pauli channels on the data qubits) left as
Pauli channels for the simulator to sample, and writes the samples back at the
group's shot indices. The draws are exact (:mod:`welinq_core.noise.drawn`): the
distribution of every shot is the true mixture.

When the schedule is random (a link with a finite pair rate, or distillation), every
shot also draws its own schedule -- pair-generation times, memory ages, stalls, idle
waits -- and from it its own link and idle errors (:mod:`welinq_core.shot_schedules`).
The program is then rendered ONCE (effective mode): every place where some shot drew a
fixed error is a drawn event of that rendering (:mod:`welinq_core.noise.locations`),
whose outcome is the shot's Pauli there, or a draw of the base channel where the shot
kept it. Groups then differ only in fixed Paulis, so an engine runs them all through one
parameterised circuit (:meth:`~welinq_core.noise.drawn.DrawnEvents.slot_template`)
instead of rendering, converting and simulating one circuit per combination of fixed
errors (the explicit mode still does that). The statistics of the drawn schedules
(:class:`~welinq_core.shot_schedules.ShotStatistics`) come back with the groups.

All seeds derive from the run's seed: the draws use a spawned child
(:func:`welinq_core.seeding.spawn_seed_sequences`), the largest group is simulated
with the seed itself, every other group with its own spawned child.

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> from welinq_core.cluster import Cluster, Link
    >>> from welinq_core.pipeline import compile_program
    >>> ops = [Operation(name="h", qubits=(0,)), Operation(name="ry", qubits=(1,), params=(0.4,))]
    >>> ops += [Operation(name="cp", qubits=(0, 1), params=(0.7,)) for _ in range(3)]
    >>> cl = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, link=Link(bell_pair_fidelity=0.9))
    >>> compiled = compile_program(Circuit(num_qubits=2, operations=ops), cl, seed=0, draw_per_shot=True)
    >>> groups, _ = plan_shots(compiled, shots=1000, seed=5)
    >>> sum(g.num_shots for g in groups), groups[0].num_shots > 900
    (1000, True)
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from welinq_core.circuit import Circuit
from welinq_core.noise.drawn import DrawnEvents, group_shots
from welinq_core.pipeline import CompiledProgram
from welinq_core.seeding import spawn_seed_sequences
from welinq_core.shot_schedules import ShotDraws, ShotStatistics, draw_shot_schedules

__all__ = ["ShotGroup", "plan_shots", "RENDER_ONCE"]

#: Shots that draw their own schedules share ONE rendering whose drawn locations carry
#: their fixed errors (:mod:`welinq_core.noise.locations`; effective mode, drawn rendering);
#: False renders one circuit per key instead (the previous path: ``benchmarks/per_shot_schedules.py``
#: compares both, the tests check both give the same distribution per key).
RENDER_ONCE = True


@dataclasses.dataclass(frozen=True, kw_only=True)
class ShotGroup:
    """Shots that share one circuit.

    Attributes:
        choices: The outcome drawn for every drawn event (``()`` without drawn events).
        shots: Their indices among the run's shots.
        seed: The simulator seed for this group.
        own_circuit: The group's circuit when it is not the compiled one with ``choices``
            (shots that drew their own schedule), else None.
        drawn: The drawn events ``choices`` refer to when they are not the compiled
            program's (shots that drew their own schedule: one rendering with drawn
            locations, shared by every group of the run), else None.
    """

    choices: tuple[int, ...]
    shots: np.ndarray
    seed: int | None
    own_circuit: Circuit | None = None
    drawn: DrawnEvents | None = None

    @property
    def num_shots(self) -> int:
        """How many shots the group serves."""
        return int(self.shots.size)

    def circuit(self, compiled: CompiledProgram) -> Circuit:
        """The circuit to simulate for these shots."""
        if self.own_circuit is not None:
            return self.own_circuit
        if self.drawn is not None:
            return self.drawn.circuit_for(self.choices)
        return compiled.circuit if compiled.drawn is None else compiled.drawn.circuit_for(self.choices)


def plan_shots(compiled: CompiledProgram, *, shots: int, seed: int | None
               ) -> tuple[list[ShotGroup], ShotStatistics | None]:
    """The groups of a run of ``shots`` shots, largest first (see the module docstring), and,
    when every shot draws its own schedule, the statistics of those schedules."""
    draw_seq, group_seq = spawn_seed_sequences(seed, 2)
    rng = np.random.default_rng(draw_seq)
    if compiled.per_shot_schedule:
        return _per_shot_schedule_groups(compiled, shots, seed, rng, group_seq)
    if compiled.drawn is None:
        parts = [((), np.arange(shots))]
    else:
        parts = list(group_shots(compiled.drawn.draw(shots, rng)).items())
    # The largest group uses the run's seed itself (a run without drawn events samples exactly
    # as the simulator would with that seed); the others get spawned children.
    seeds = [seed] + [int(s.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
                      for s in group_seq.spawn(len(parts) - 1)]
    return [ShotGroup(choices=c, shots=idx, seed=s) for (c, idx), s in zip(parts, seeds)], None


def _per_shot_schedule_groups(compiled: CompiledProgram, shots: int, seed: int | None,
                              rng: np.random.Generator, group_seq: Any) -> tuple[list[ShotGroup], ShotStatistics]:
    draws = draw_shot_schedules(compiled, shots, rng)
    if RENDER_ONCE and compiled.mode == "effective" and compiled.noise_rendering == "drawn":
        return _render_once_groups(compiled, draws, seed, rng, group_seq)
    return _per_key_groups(compiled, draws, seed, rng, group_seq)


def _seeded(parts: list, seed: int | None, group_seq: Any) -> list[int | None]:
    """The largest part's seed is the run's, every other part gets a spawned child."""
    return [seed] + [int(s.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
                     for s in group_seq.spawn(len(parts) - 1)]


def _render_once_groups(compiled: CompiledProgram, draws: ShotDraws, seed: int | None, rng: np.random.Generator,
                        group_seq: Any) -> tuple[list[ShotGroup], ShotStatistics]:
    """One rendering with the base channels, every location some shot drew a fixed error at
    a drawn event (:mod:`welinq_core.noise.locations`); a shot's choices are its fixed Paulis
    there and draws of the base channel elsewhere, so groups differ only in fixed Paulis."""
    from welinq_core.noise import DrawnLocations, add_noise
    from welinq_core.noise.locations import OUTCOME_OF

    keys = set(draws.keys)
    pairs = sorted({k for labels, _, _ in keys for k, lab in enumerate(labels) if lab})
    idles = sorted({(s, q) for _, idl, _ in keys for s, q, _ in idl})
    copies = sorted({s for _, _, cps in keys for s, _ in cps})
    locations = DrawnLocations(pairs=tuple(pairs), idles=tuple(idles), copies=tuple(copies))
    noisy = add_noise(compiled.program, mode="effective", effective_rendering="drawn",
                      pair_states=draws.pair_base, idle_durations=list(draws.idle_base),
                      copy_idle_durations=dict(draws.copy_base), drawn_locations=locations)
    if noisy.drawn is None:  # nothing drawn anywhere: one circuit serves every shot
        return [ShotGroup(choices=(), shots=np.arange(draws.statistics.shots), seed=seed,
                          own_circuit=noisy.circuit)], draws.statistics
    where = noisy.location_events or {}
    choices = noisy.drawn.draw(len(draws.keys), rng)  # base channels drawn everywhere
    for i, (labels, idl, cps) in enumerate(draws.keys):  # ... unless the shot drew a fixed Pauli
        # (a location without an event -- idle errors without idle noise -- changes nothing)
        fixed = [(("pair", k), lab) for k, lab in enumerate(labels) if lab]
        fixed += [(("idle", s, q), lab) for s, q, lab in idl] + [(("copy", s), lab) for s, lab in cps]
        for loc, lab in fixed:
            j = where.get(loc)
            if j is not None:
                choices[i, j] = OUTCOME_OF[lab]
    parts = list(group_shots(choices).items())
    groups = [ShotGroup(choices=c, shots=idx, seed=sd, drawn=noisy.drawn)
              for (c, idx), sd in zip(parts, _seeded(parts, seed, group_seq))]
    return groups, draws.statistics


def _per_key_groups(compiled: CompiledProgram, draws: ShotDraws, seed: int | None, rng: np.random.Generator,
                    group_seq: Any) -> tuple[list[ShotGroup], ShotStatistics]:
    """One rendering per key (shots with the same fixed errors): the explicit mode's path, and
    the reference of the render-once path's tests."""
    from welinq_core.noise import add_noise

    by_key: dict[tuple, list[int]] = {}
    for i, k in enumerate(draws.keys):
        by_key.setdefault(k, []).append(i)
    parts: list[tuple[tuple[int, ...], np.ndarray, Circuit]] = []
    for key, idx in by_key.items():
        noisy = add_noise(compiled.program, mode=compiled.mode, effective_rendering=compiled.noise_rendering,
                          **draws.noise_inputs(key))
        members = np.asarray(idx)
        if noisy.drawn is None:
            parts.append(((), members, noisy.circuit))
            continue
        for choice, sub in group_shots(noisy.drawn.draw(members.size, rng)).items():
            parts.append((choice, members[sub], noisy.drawn.circuit_for(choice)))
    parts.sort(key=lambda t: -t[1].size)
    seeds = [seed] + [int(s.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
                      for s in group_seq.spawn(len(parts) - 1)]
    groups = [ShotGroup(choices=c, shots=idx, seed=s, own_circuit=circ) for (c, idx, circ), s in zip(parts, seeds)]
    return groups, draws.statistics
