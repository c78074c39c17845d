"""Where the noise comes from: each QPU's gate, readout and idle errors, each pair's state.

:class:`NoiseSources` answers, for a lowered program and the Bell-pair states of
one shot, which Pauli channel each physical step adds: a gate's depolarizing
error, a readout flip, a waiting qubit's T1/T2 idling (from the schedule's idle
intervals), a pair after entanglement swapping along its route. Both renderings
(:mod:`~welinq_core.noise.explicit`, :mod:`~welinq_core.noise.effective`) ask
it the same questions, which is why they describe the same physics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from welinq_core.cluster import QPU
from welinq_core.errors import OptionsError
from welinq_core.lowering import DistributedProgram
from welinq_core.noise.channels import depolarizing_terms, idle_pauli_probabilities
from welinq_core.noise.pauli import PAULIS
from welinq_core.physics import convolve_pauli

__all__ = ["NoiseSources"]


class NoiseSources:
    """The noise of every step of ``program`` (see the module docstring)."""

    def __init__(
        self,
        program: DistributedProgram,
        states: tuple[tuple[float, float, float, float], ...],
        idle: Mapping[int, tuple[float, float]] | Sequence[tuple[int, int, float]] | None,
        local: bool,
        idle_on: bool,
        rendering: str,
        copy_idle: Mapping[int, float | str] | None = None,
        locations: Any = None,
    ) -> None:
        self.p = program
        #: Locations rendered as drawn events (:class:`~welinq_core.noise.locations.DrawnLocations`).
        self.drawn_pairs = frozenset(locations.pairs) if locations is not None else frozenset()
        self.drawn_idles = frozenset(locations.idles) if locations is not None else frozenset()
        self.drawn_copies = frozenset(locations.copies) if locations is not None else frozenset()
        self.states = states
        self.idle = idle
        self.copy_idle = self._check_copy_idle(copy_idle)
        self.local = local
        self.idle_on = idle_on
        self.rendering = rendering
        self.cluster = program.cluster
        self.counts: dict[str, int] = {}
        self.where = list(program.assignment)  # current QPU of each qubit (teleports move them)

    # -- helpers ---------------------------------------------------------------
    def qpu_of(self, q: int) -> QPU:
        return self.cluster.qpu(self.where[q])

    def count(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n

    def _check_copy_idle(self, copy_idle: Mapping[int, float | str] | None) -> dict[int, float | str]:
        out: dict[int, float | str] = {}
        for step, t in (copy_idle or {}).items():
            s = int(step)
            if not 0 <= s < len(self.p.steps) or self.p.steps[s].packet is None or self.p.steps[s].kind == "open":
                raise OptionsError(
                    f"copy_idle_durations names step {step!r}, which is not a remote gate or a packet close "
                    "of the program; take the waits from Schedule.copy_idle_durations()"
                )
            if isinstance(t, str):
                if t not in tuple(PAULIS):
                    raise OptionsError(f"copy_idle_durations[{step}]={t!r}: a drawn error is one of {tuple(PAULIS)}")
                out[s] = t
            elif not float(t) >= 0.0:
                raise OptionsError(f"copy_idle_durations[{step}]={t!r}: a wait is a number of seconds >= 0")
            else:
                out[s] = float(t)
        return out

    def step_idles(self) -> dict[int, list[tuple[int, float]]]:
        """``{step: [(qubit, seconds), ...]}``: idling right before each step."""
        out: dict[int, list[tuple[int, float]]] = {}
        if self.idle is not None and not isinstance(self.idle, Mapping):
            for entry in self.idle:
                step, qubit, t = entry
                if not 0 <= int(step) < len(self.p.steps) or not 0 <= int(qubit) < self.p.circuit.num_qubits:
                    raise OptionsError(
                        f"idle_durations entry {tuple(entry)!r} names step {step} / qubit {qubit} outside "
                        f"the program ({len(self.p.steps)} steps, {self.p.circuit.num_qubits} qubits)"
                    )
                if isinstance(t, str):  # an idle error drawn for one shot (welinq_core.shot_schedules)
                    if t not in PAULIS:
                        raise OptionsError(f"idle_durations entry {tuple(entry)!r}: {t!r} is no Pauli label "
                                           "(give seconds, or one of 'I', 'X', 'Y', 'Z')")
                    if t != "I":
                        out.setdefault(int(step), []).append((int(qubit), t))  # type: ignore[arg-type]
                elif float(t) > 0:
                    out.setdefault(int(step), []).append((int(qubit), float(t)))
            return out
        per_packet = self.idle or {}
        for s, step in enumerate(self.p.steps):
            if step.kind not in ("open", "close"):
                continue
            pk = self.p.packets[step.packet]  # type: ignore[index]
            if pk.index in per_packet:
                t_open, t_close = (float(x) for x in per_packet[pk.index])
            else:
                t_open = t_close = sum(self.cluster.link(u, v).latency_s for u, v in zip(pk.route, pk.route[1:]))
            if step.kind == "open":
                first_target = [q for q in self.p.circuit.operations[pk.gates[0]].qubits if q != pk.control][0]
                out[s] = [(pk.control, t_open), (first_target, t_open)]
            else:
                out[s] = [(pk.control, t_close)]
        return out

    def gate_terms(self, qpu: QPU, nq: int) -> tuple[tuple[str, float], ...] | None:
        p = qpu.single_qubit_gate_error if nq == 1 else qpu.two_qubit_gate_error
        if not self.local or p <= 0:
            return None
        return depolarizing_terms(p, nq)

    def readout_terms(self, qpu: QPU) -> tuple[tuple[str, float], ...] | None:
        r = qpu.readout_error
        if not self.local or r <= 0:
            return None
        return (("I", 1.0 - r), ("X", r))

    def copy_idle_terms(self, step: int, packet: int) -> tuple[tuple[str, float], ...] | None:
        """Pauli channel of a packet's copy idling on its communication qubit right before
        ``step``: the last hop's link memory over the scheduled wait (the Pauli twirl of
        amplitude damping for T1/T2 memories), or the drawn Pauli if the entry is a label;
        None if the copy does not decohere there."""
        t = self.copy_idle.get(step, 0.0)
        if isinstance(t, str):  # one shot's drawn error
            return None if t == "I" else ((t, 1.0),)
        if t <= 0:
            return None
        route = self.p.packets[packet].route
        memory = self.cluster.link(route[-2], route[-1]).memory
        if memory is None:
            return None
        probs = memory.pauli_probabilities(t)
        return None if probs[0] >= 1.0 else tuple(zip(PAULIS, probs))

    def idle_terms(self, qpu: QPU, t: float) -> tuple[tuple[str, float], ...] | None:
        if not self.idle_on:
            return None
        if isinstance(t, str):  # a drawn idle error: that Pauli, surely
            return ((t, 1.0),)
        p = idle_pauli_probabilities(qpu, t)
        if p[0] >= 1.0:
            return None
        return tuple(zip(PAULIS, p))

    def swap_noise(self, qpu: QPU) -> tuple[float, float, float, float]:
        """Pauli error a noisy Bell measurement at ``qpu`` adds to the swapped pair."""
        out = (1.0, 0.0, 0.0, 0.0)
        if not self.local:
            return out
        p2 = qpu.two_qubit_gate_error
        if p2 > 0:  # (z-part on B1 -> Z, x-part on A2 -> X): 4 of the 15 Paulis each
            q = 4 * p2 / 15
            out = convolve_pauli(out, (1 - 3 * q, q, q, q))
        p1 = qpu.single_qubit_gate_error
        if p1 > 0:  # after h on B1: X or Y flips the Z-correction bit
            out = convolve_pauli(out, (1 - 2 * p1 / 3, 0.0, 0.0, 2 * p1 / 3))
        r = qpu.readout_error
        if r > 0:
            out = convolve_pauli(out, (1 - r, 0.0, 0.0, r))
            out = convolve_pauli(out, (1 - r, r, 0.0, 0.0))
        return out

    def teleport_channel(self, tp: Any, skip: frozenset[int] = frozenset()) -> tuple[float, float, float, float]:
        """Pauli channel on a teleported qubit (physics.md 2.7): its pair after swapping,
        then the source's noisy Bell measurement (z-part on q -> Z, x-part on the pair half -> X)."""
        probs = self.effective_pair(tp, skip)
        return convolve_pauli(probs, self.swap_noise(self.cluster.qpu(tp.source)))

    def effective_pair(self, pk_index: Any, skip: frozenset[int] = frozenset()) -> tuple[float, float, float, float]:
        """The pair of a packet (or teleport) after swapping along its route; pairs in ``skip``
        (drawn locations, rendered as their own events) are left out."""
        pk = self.p.packets[pk_index] if isinstance(pk_index, int) else pk_index  # a packet or a teleport
        first = pk.bell_pairs[0]
        probs = (1.0, 0.0, 0.0, 0.0) if first in skip else self.states[first]
        for hop, pair in enumerate(pk.bell_pairs[1:], start=1):
            if pair not in skip:
                probs = convolve_pauli(probs, self.states[pair])
            probs = convolve_pauli(probs, self.swap_noise(self.cluster.qpu(pk.route[hop])))
        return probs

    def copy_idle_probabilities(self, step: int, packet: int) -> tuple[float, float, float, float]:
        """``(pI, pX, pY, pZ)`` of a packet's copy idling before ``step`` for its base wait
        (a drawn location: identity without a wait or a memory)."""
        t = self.copy_idle.get(step, 0.0)
        route = self.p.packets[packet].route
        memory = self.cluster.link(route[-2], route[-1]).memory
        if isinstance(t, str) or t <= 0 or memory is None:
            return (1.0, 0.0, 0.0, 0.0)
        return tuple(memory.pauli_probabilities(t))  # type: ignore[return-value]

    def summary(self, mode: str, extra: dict[str, Any]) -> dict[str, Any]:
        pairs = [
            {"index": u.index, "link": f"{u.link[0]}-{u.link[1]}", "packet": u.packet, "hop": u.hop,
             "probabilities": [round(x, 12) for x in self.states[u.index]]}
            for u in self.p.bell_pairs
        ]
        packets = []
        for pk in self.p.packets:
            eff = self.effective_pair(pk.index)
            packets.append({
                "index": pk.index, "control": pk.control, "route": list(pk.route), "gates": len(pk.gates),
                "effective_pair": [round(x, 12) for x in eff],
                "effective_pair_fidelity": round(eff[0], 12),
            })
        fids = [p["effective_pair_fidelity"] for p in packets]
        d: dict[str, Any] = {
            "mode": mode,
            "local_noise": self.local,
            "idle_noise": self.idle_on,
            "channels": dict(sorted(self.counts.items())),
            "num_noise_ops": sum(self.counts.values()),
            "mean_pair_fidelity": (sum(fids) / len(fids)) if fids else 1.0,
            "min_pair_fidelity": min(fids) if fids else 1.0,
            "pairs": pairs,
            "packets": packets,
        }
        d.update(extra)
        return d

    # -- explicit --------------------------------------------------------------
