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
waits -- and from it its own link and idle errors (:mod:`welinq_core.shot_schedules`);
shots with the same fixed errors share a circuit rendered with them. The statistics of
the drawn schedules (:class:`~welinq_core.shot_schedules.ShotStatistics`) come back
with the groups.

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
from welinq_core.noise.drawn import group_shots
from welinq_core.pipeline import CompiledProgram
from welinq_core.seeding import spawn_seed_sequences
from welinq_core.shot_schedules import ShotStatistics, draw_shot_schedules

__all__ = ["ShotGroup", "plan_shots"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ShotGroup:
    """Shots that share one circuit.

    Attributes:
        choices: The outcome drawn for every drawn event (``()`` without drawn events).
        shots: Their indices among the run's shots.
        seed: The simulator seed for this group.
        own_circuit: The group's circuit when it is not the compiled one with ``choices``
            (shots that drew their own schedule), else None.
    """

    choices: tuple[int, ...]
    shots: np.ndarray
    seed: int | None
    own_circuit: Circuit | None = None

    @property
    def num_shots(self) -> int:
        """How many shots the group serves."""
        return int(self.shots.size)

    def circuit(self, compiled: CompiledProgram) -> Circuit:
        """The circuit to simulate for these shots."""
        if self.own_circuit is not None:
            return self.own_circuit
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
    from welinq_core.noise import add_noise

    draws = draw_shot_schedules(compiled, shots, rng)
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
