"""``welinq partition CIRCUIT.qasm --qpus K --qubits-per-qpu C``: place a circuit and print its Bell-pair cost.

The circuit's gates are converted as written (a ``cu1`` stays a controlled phase);
only gates the core does not know are decomposed, by their definitions. Two-qubit gates
within ``--identity-tolerance`` (default 1e-12, operator norm) of the identity are dropped
before partitioning, and the JSON says how many (``near_identity_dropped``); see
:mod:`welinq_core.lowering.near_identity`. Idle qubits
(a circuit transpiled for a backend carries the whole device) take no data slot; the
JSON's ``assignment`` has ``null`` for them and ``idle_qubits`` counts them.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time

from qiskit_welinq.cli._common import load_qasm, positive_int
from welinq_core.circuit import Circuit
from welinq_core.cluster import Cluster
from welinq_core.resources import check_network_size
from welinq_core.seeding import check_seed
from welinq_core.errors import OptionsError
from welinq_core.lowering import check_protocols, lower
from welinq_core.lowering.near_identity import NEAR_IDENTITY_TOLERANCE, check_tolerance, drop_near_identity
from welinq_core.partitioning import partition_and_plan

_STATUS_AFTER_S = 3.0  # print status lines on stderr once partitioning has run this long
_STATUS_EVERY_S = 5.0


def register(sub) -> None:  # noqa: ANN001
    """Add the ``partition`` subcommand to the parser's subcommands."""
    p = sub.add_parser("partition", help="partition an OpenQASM circuit and print its Bell-pair cost")
    p.add_argument("circuit", help="OpenQASM 2 or 3 file")
    p.add_argument("--qpus", type=positive_int, required=True, help="number of QPUs")
    p.add_argument("--qubits-per-qpu", type=positive_int, required=True, help="data qubits per QPU")
    p.add_argument("--comm-qubits", type=int, default=None,
                   help="communication qubits per QPU (default: the cluster's own, "
                        f"{Cluster.homogeneous(num_qpus=1, data_qubits_per_qpu=1).qpus[0].num_comm_qubits})")
    p.add_argument("--topology", default="all-to-all",
                   help="how the QPUs are linked: all-to-all, line, ring, star or grid")
    p.add_argument("--seed", type=int, default=0, help="seed of the partitioner's search")
    p.add_argument("--objective", default="ebits", help="ebits (fewest Bell pairs) or fidelity")
    p.add_argument("--protocols", default="auto",
                   help="auto (the cheapest of the three sets that follow), telegate, telegate,teledata "
                        "(also teleport qubits) or teledata (moves only)")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="return the best plan found within this many seconds of partitioning (reading the file and "
                        "preparing the circuit come on top; the JSON's time_limited says whether the limit cut "
                        "the search)")
    p.add_argument("--identity-tolerance", type=float, default=NEAR_IDENTITY_TOLERANCE, metavar="EPS",
                   help="drop two-qubit gates within EPS of the identity (operator norm, up to a global "
                        f"phase; default {NEAR_IDENTITY_TOLERANCE}); 0 keeps every gate that is not exactly "
                        "the identity")
    p.add_argument("--quiet", action="store_true", help="no status lines on stderr")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=cmd_partition)


class _Status:
    """Periodic one-line status on stderr while a long partitioning runs."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.stage, self.best = "starting", -1
        self.start = time.perf_counter()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def update(self, stage: str, best: int) -> None:
        self.stage, self.best = stage, best

    def _loop(self) -> None:
        if self.done.wait(_STATUS_AFTER_S):
            return
        while True:
            best = "no plan yet" if self.best < 0 else f"best so far {self.best} Bell pairs"
            elapsed = time.perf_counter() - self.start
            print(f"welinq partition: {elapsed:.0f} s, {self.stage}; {best}", file=sys.stderr, flush=True)
            if self.done.wait(_STATUS_EVERY_S):
                return

    def __enter__(self) -> _Status:
        if self.enabled:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()


def _check_args(args: argparse.Namespace) -> None:
    if args.comm_qubits is not None and args.comm_qubits <= 0:
        raise OptionsError(
            f"--comm-qubits {args.comm_qubits} must be a positive integer (communication qubits per QPU)"
        )
    if args.time_limit is not None and not args.time_limit > 0:
        raise OptionsError(f"--time-limit {args.time_limit} must be a positive number of seconds")
    check_protocols(args.protocols)
    check_tolerance(args.identity_tolerance)


def _without_idle_qubits(circuit: Circuit) -> tuple[Circuit, tuple[int, ...]]:
    """The circuit on its active qubits only, and those qubits (in order).

    A circuit transpiled for a backend carries every qubit of the device, most of them
    idle; an idle qubit needs no data slot, so it must not crowd out the free slots
    that TeleData moves into. Barriers keep only their active qubits.

    Examples:
        >>> from welinq_core.circuit import Operation
        >>> c = Circuit(num_qubits=4, operations=[Operation(name="cx", qubits=(3, 1)),
        ...     Operation(name="barrier", qubits=(0, 1, 2, 3))])
        >>> small, active = _without_idle_qubits(c)
        >>> small.num_qubits, active, [op.qubits for op in small.operations]
        (2, (1, 3), [(1, 0), (0, 1)])
    """
    active = circuit.active_qubits()
    if len(active) == circuit.num_qubits:
        return circuit, active
    return circuit.restricted_to(active), active


def _full_assignment(assignment: tuple[str, ...], active: tuple[int, ...], num_qubits: int) -> list[str | None]:
    """QPU of every qubit of the file (``None`` for an idle qubit)."""
    out: list[str | None] = [None] * num_qubits
    for k, q in enumerate(active):
        out[q] = assignment[k]
    return out


def cmd_partition(args: argparse.Namespace) -> int:
    from qiskit_welinq.convert import circuit_from_qiskit

    _check_args(args)
    seed = check_seed(args.seed, name="--seed")
    kwargs = {} if args.comm_qubits is None else {"comm_qubits_per_qpu": args.comm_qubits}
    cluster = Cluster.homogeneous(
        num_qpus=args.qpus, data_qubits_per_qpu=args.qubits_per_qpu, topology=args.topology, **kwargs
    )
    check_network_size(cluster)
    full = circuit_from_qiskit(load_qasm(args.circuit, max_qubits=cluster.num_data_qubits))
    near = drop_near_identity(full, tolerance=args.identity_tolerance)
    ir, active = _without_idle_qubits(near.circuit)
    t0 = time.perf_counter()
    with _Status(enabled=not args.quiet) as status:
        partition, plan = partition_and_plan(ir, cluster, seed=seed, objective=args.objective,
                                             protocols=args.protocols, time_limit_s=args.time_limit,
                                             progress=status.update)
    seconds = time.perf_counter() - t0
    program = lower(ir, cluster, partition.assignment, protocols=partition.protocols, plan=plan)
    if program.num_bell_pairs != partition.bell_pairs:
        raise AssertionError(  # an internal invariant, not an input check
            f"partition claimed {partition.bell_pairs} Bell pairs but the lowering consumed "
            f"{program.num_bell_pairs}; please report this bug"
        )
    by_purpose = {"telegate": 0, "teledata": 0}
    for pair in program.bell_pairs:
        by_purpose[pair.purpose] += 1
    out = {
        "ebits": partition.bell_pairs,
        "bell_pairs": program.num_bell_pairs,
        "bell_pairs_per_protocol": by_purpose,
        "assignment": _full_assignment(partition.assignment, active, full.num_qubits),
        "idle_qubits": full.num_qubits - len(active),
        "near_identity_dropped": near.dropped,
        "near_identity_tolerance": near.tolerance,
        "near_identity_max_distance": near.max_distance,
        "seconds": seconds,
        "time_limited": partition.time_limited,
        "nonlocal_gates": partition.nonlocal_gates,
        "packets": len(program.packets),
        "teleports": len(program.teleports),
        "teleports_through_copies": sum(tp.packet is not None for tp in program.teleports),
        "restoring_windows": sum(bool(pk.window) for pk in program.packets),
        "bell_pairs_per_link": {f"{a}-{b}": n for (a, b), n in program.bell_pairs_per_link().items()},
        "comm_qubits_per_qpu": cluster.qpus[0].num_comm_qubits,
        "method": partition.method,
        "objective": partition.objective,
        "protocols": list(partition.protocols),
    }
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    return 0
