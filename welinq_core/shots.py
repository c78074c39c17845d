"""Shots in groups: each shot draws its own noise events; shots that drew the same share a circuit.

:func:`plan_shots` splits the shots of a compiled program into :class:`ShotGroup`
objects, each a circuit (the IR) and the indices of the shots it serves. An engine
simulates every group for its number of shots, with the remaining noise (local gate
and readout errors, link errors that are Pauli channels on the data qubits) left as
Pauli channels for the simulator to sample, and writes the samples back at the
group's shot indices. The draws are exact (:mod:`welinq_core.noise.drawn`): the
distribution of every shot is the true mixture.

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
    >>> groups = plan_shots(compiled, shots=1000, seed=5)
    >>> sum(g.num_shots for g in groups), groups[0].num_shots > 900
    (1000, True)
"""

from __future__ import annotations

import dataclasses

import numpy as np

from welinq_core.circuit import Circuit
from welinq_core.noise.drawn import group_shots
from welinq_core.pipeline import CompiledProgram
from welinq_core.seeding import spawn_seed_sequences

__all__ = ["ShotGroup", "plan_shots"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ShotGroup:
    """Shots that share one circuit.

    Attributes:
        circuit: The circuit to simulate for them.
        shots: Their indices among the run's shots.
        seed: The simulator seed for this group.
    """

    circuit: Circuit
    shots: np.ndarray
    seed: int | None

    @property
    def num_shots(self) -> int:
        """How many shots the group serves."""
        return int(self.shots.size)


def plan_shots(compiled: CompiledProgram, *, shots: int, seed: int | None) -> list[ShotGroup]:
    """The groups of a run of ``shots`` shots, largest first (see the module docstring)."""
    draw_seq, group_seq = spawn_seed_sequences(seed, 2)
    rng = np.random.default_rng(draw_seq)
    if compiled.drawn is None:
        parts = [(compiled.circuit, np.arange(shots))]
    else:
        choices = compiled.drawn.draw(shots, rng)
        parts = [(compiled.drawn.circuit_for(key), idx) for key, idx in group_shots(choices).items()]
    # The largest group uses the run's seed itself (a run without drawn events samples exactly
    # as the simulator would with that seed); the others get spawned children.
    seeds = [seed] + [int(s.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
                      for s in group_seq.spawn(len(parts) - 1)]
    return [ShotGroup(circuit=c, shots=idx, seed=s) for (c, idx), s in zip(parts, seeds)]
