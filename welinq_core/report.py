"""The run report: partition, Bell pairs per link, packets, timing and fidelity cost.

A :class:`Report` is plain data (``to_dict()``) for result metadata and prints as
a readable summary (``str(report)``) for the command line and notebooks.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from welinq_core.circuit import Circuit
from welinq_core.key_rates import link_key_rates
from welinq_core.lowering import DistributedProgram
from welinq_core.partitioning import Partition

__all__ = ["Report", "build_report"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Report:
    """What a distributed run did.

    Attributes:
        cluster: Cluster name.
        physical_bell_pairs_per_link: Physical pairs per link when QPUs hold logical
            qubits of a code (equal to ``bell_pairs_per_link`` otherwise).
        total_physical_bell_pairs: Their sum.
        mode: Execution mode.
        assignment: QPU of each logical qubit.
        qubits_per_qpu: ``{qpu: [logical qubits]}``.
        bell_pairs_per_link: ``{"a-b": pairs}`` for every link.
        total_bell_pairs: Pairs consumed (each counted once per hop).
        num_packets: Linked copies made (cat-entangler uses).
        remote_gates: Gates executed through packets.
        local_two_qubit_gates: Two-qubit gates that stayed inside a QPU.
        partition_method: Partitioner used.
        partition_seconds: Time spent partitioning.
        simulated_qubits: Qubits the engine simulates.
        schedule: Timing summary from the scheduler, if one ran (else None).
        noise: Noise summary from the noise stage, if any (else None).
        quantum_safe: ``{"a-b": BBM92 estimate}`` for every link the run used: QBER in
            Z and X of the delivered pair, secret fraction, secret key rate in bit/s
            (:mod:`welinq_core.key_rates`), or None.
        near_identity: Two-qubit gates dropped as within ``tolerance`` of the identity
            before partitioning (:mod:`welinq_core.lowering.near_identity`): ``dropped``,
            ``tolerance``, ``max_distance`` and ``total_distance`` (a bound on how far the
            run's circuit is from the user's, operator norm), or None.
    """

    cluster: str
    mode: str
    assignment: tuple[str, ...]
    qubits_per_qpu: dict[str, list[int]]
    bell_pairs_per_link: dict[str, int]
    total_bell_pairs: int
    num_packets: int
    remote_gates: int
    local_two_qubit_gates: int
    partition_method: str
    partition_seconds: float
    simulated_qubits: int
    schedule: dict[str, Any] | None = None
    noise: dict[str, Any] | None = None
    physical_bell_pairs_per_link: dict[str, int] | None = None
    total_physical_bell_pairs: int | None = None
    quantum_safe: dict[str, dict[str, Any]] | None = None
    near_identity: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-serialisable)."""
        d = dataclasses.asdict(self)
        d["assignment"] = list(self.assignment)
        return d

    def __str__(self) -> str:
        lines = [
            f"cluster {self.cluster!r}, mode {self.mode}",
            "partition (" + self.partition_method + f", {self.partition_seconds * 1e3:.1f} ms):",
        ]
        for qpu, qs in self.qubits_per_qpu.items():
            lines.append(f"  {qpu:>10}: qubits {qs}")
        lines.append(
            f"two-qubit gates: {self.local_two_qubit_gates} local, {self.remote_gates} remote "
            f"in {self.num_packets} packet(s)"
        )
        lines.append(f"Bell pairs: {self.total_bell_pairs} in total")
        if self.near_identity and self.near_identity.get("dropped"):
            lines.append(
                f"  ({self.near_identity['dropped']} two-qubit gate(s) within {self.near_identity['tolerance']:g} "
                "of the identity dropped, at no pair cost; identity_tolerance=0 keeps them)"
            )
        if self.total_physical_bell_pairs is not None and self.total_physical_bell_pairs != self.total_bell_pairs:
            lines.append(
                f"  (logical qubits: {self.total_physical_bell_pairs} physical Bell pairs for the code's "
                "transversal remote gates)"
            )
        for link, n in self.bell_pairs_per_link.items():
            lines.append(f"  {link:>21}: {n}")
        if self.schedule:
            lines.append("schedule:")
            for k, v in self.schedule.items():
                if not isinstance(v, (dict, list)):
                    lines.append(f"  {k}: {v}")
        if self.quantum_safe:
            lines.append("quantum-safe links (BBM92, asymptotic):")
            for link, q in self.quantum_safe.items():
                rate = q.get("secret_key_rate_bps")
                key = "unlimited" if rate is None else f"{rate:.4g} bit/s"
                lines.append(
                    f"  {link:>21}: QBER Z {100 * q['qber_z']:.2f} %, X {100 * q['qber_x']:.2f} %, "
                    f"secret fraction {q['secret_fraction']:.3f}, key {key}"
                )
        if self.noise:
            lines.append("noise:")
            for k, v in self.noise.items():
                if not isinstance(v, (dict, list)):
                    lines.append(f"  {k}: {v}")
        return "\n".join(lines)


def build_report(
    *, partition: Partition, program: DistributedProgram, mode: str, simulated: Circuit,
    schedule: dict[str, Any] | None = None, noise: dict[str, Any] | None = None,
    near_identity: dict[str, Any] | None = None,
) -> Report:
    """Assemble the report from the stages' evidence."""
    per_qpu: dict[str, list[int]] = {name: [] for name in program.cluster.qpu_names}
    active = set(program.circuit.active_qubits())
    for q, name in enumerate(partition.assignment):
        if q in active:
            per_qpu[name].append(q)
    local_2q = sum(
        1
        for s in program.steps
        if s.kind == "local" and len(program.circuit.operations[s.op].qubits) == 2  # type: ignore[index]
        and program.circuit.operations[s.op].is_gate  # type: ignore[index]
    )
    physical = {
        f"{a}-{b}": n * program.cluster.physical_pairs_per_logical_pair(a, b)
        for (a, b), n in program.bell_pairs_per_link().items()
    }
    used = {f"{a}-{b}" for (a, b) in program.bell_pairs_per_link()}
    quantum_safe = {r.label: r.estimate.to_dict() for r in link_key_rates(program.cluster) if r.label in used}
    return Report(
        quantum_safe=quantum_safe or None,
        physical_bell_pairs_per_link=physical,
        total_physical_bell_pairs=sum(physical.values()),
        cluster=program.cluster.name,
        mode=mode,
        assignment=partition.assignment,
        qubits_per_qpu=per_qpu,
        bell_pairs_per_link={f"{a}-{b}": n for (a, b), n in program.bell_pairs_per_link().items()},
        total_bell_pairs=program.num_bell_pairs,
        num_packets=len(program.packets),
        remote_gates=program.num_remote_gates,
        local_two_qubit_gates=local_2q,
        partition_method=partition.method,
        partition_seconds=partition.seconds,
        simulated_qubits=simulated.num_qubits,
        schedule=schedule,
        noise=noise,
        near_identity=near_identity,
    )
