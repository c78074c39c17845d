r"""A proven lower bound on the Bell pairs any distributed plan of a circuit consumes.

**The model.** Every logical qubit holds one data slot on some QPU for the whole run
(``c_p`` slots on QPU ``p``), and every Bell pair a plan consumes is *attributed* to
exactly one qubit: the one whose state it shares or moves. This holds for every
protocol welinq's planner or the published tools (pytket-dqc, DisQCO) use: a
TeleGate / cat-entangler packet (with or without embedding) shares its root qubit, a
TeleData teleport moves one qubit, a move through a linked copy uses the pairs of the
root's copy, and a multi-hop route spends one pair per hop on the same qubit.

**The bound.** Call a qubit *inactive* if no pair is attributed to it. It never moves
and has no remote copy, so from its first two-qubit gate on it stays on one QPU, and
two inactive qubits on different QPUs can never share a gate. Let ``G`` be the
interaction graph of the two-qubit gates that are planned (after the near-identity
drop and the canonical rewrites of :mod:`welinq_core.lowering`, exactly what
``welinq partition`` plans) and ``N`` its qubits with at least one two-qubit gate.
The inactive qubits form a set ``I`` split into parts ``I_p`` with ``|I_p| <= c_p``
and no edge of ``G`` between different parts; each of the ``N - |I|`` other qubits of
``G`` has at least one pair. Hence every plan needs at least

.. math:: N - \max |I| .

**A refinement.** The QPUs an active qubit ``a``'s state (itself or a linked copy)
is ever on form a set ``S_a``; apart from the QPU where ``a`` is first used, each of them
is the target of a packet or a teleport of ``a``, each consuming at least one pair (a move
through a linked copy arrives where the copy already is), so ``a`` has at least
``max(1, |S_a| - 1)`` pairs. ``S_a`` holds every QPU of an inactive neighbour of ``a``
(they never leave, and ``a`` must meet them there) and the QPU where ``a`` ends the run,
where it then holds a slot, as every inactive qubit does on its own QPU. Every plan thus
needs at least the minimum, over inactive sets and end QPUs of the active qubits within
the capacities, of the sum of these terms (:attr:`PairBound.refined`); it is never below
``N - max |I|``.

**The component bound.** The QPUs visited by the qubits of one connected component
of ``G`` are linked by that component's pairs (a packet or teleport joins its source
and target along its route; two qubits that share a gate meet on one QPU), and at the
end of the run they hold the component's ``s`` qubits: the component needs at least
``m - 1`` pairs, ``m`` the fewest QPUs whose capacities add up to ``s``
(:attr:`PairBound.components`).

The bound is valid on any network (a route of ``h`` hops costs ``h >= 1`` pairs) and
for any number of communication qubits; it is computed for an all-to-all network,
where it is tightest. ``max |I|`` and the refinement are integer programs solved with
``scipy.optimize.milp`` (HiGHS) within a time limit; when the solver stops early its
dual bound is used, which is still a valid bound, and :attr:`PairBound.optimal` says so.

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> ops = [Operation(name="cz", qubits=(a, b)) for a in range(4) for b in range(a + 1, 4)]
    >>> b = pair_lower_bound(Circuit(num_qubits=4, operations=ops), [3, 3])
    >>> b.bell_pairs, b.max_inactive, b.optimal   # K4 on two QPUs of 3: one qubit must be active
    (1, 3, True)
    >>> path = [Operation(name="cx", qubits=(0, 1)), Operation(name="cx", qubits=(1, 2))]
    >>> pair_lower_bound(Circuit(num_qubits=3, operations=path), [1, 1, 1]).bell_pairs
    2
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from welinq_core import gates  # noqa: E402
from welinq_core.circuit import Circuit  # noqa: E402
from welinq_core.errors import OptionsError  # noqa: E402
from welinq_core.lowering import canonicalize  # noqa: E402
from welinq_core.lowering.near_identity import NEAR_IDENTITY_TOLERANCE, drop_near_identity  # noqa: E402
from welinq_core.partitioning.partitioner import component_pair_bound  # noqa: E402

__all__ = ["PairBound", "interaction_edges", "pair_lower_bound", "planned_circuit", "qasm_pair_bound"]

#: Slack when rounding a solver's floating-point bound to an integer (objective values are integers).
_ROUND_EPS = 1e-6


@dataclasses.dataclass(frozen=True, kw_only=True)
class PairBound:
    """A lower bound on Bell pairs and its evidence.

    Attributes:
        bell_pairs: The bound: every plan consumes at least this many pairs (the largest of
            ``interacting - max_inactive``, ``refined`` and ``components``).
        optimal: Whether ``bell_pairs`` is the exact optimum of the bound's programs
            (False: a solver stopped at its time limit and its dual bound was used, so more
            time might raise the bound).
        interacting_qubits: ``N``, qubits with at least one planned two-qubit gate.
        edges: Distinct pairs of qubits that share a planned two-qubit gate.
        capacities: Data slots per QPU used.
        max_inactive: The largest inactive set (proven when ``inactive_optimal``; else
            the solver's upper bound on it, which the bound uses).
        inactive_found: Size of the best inactive set the solver found (a witness).
        inactive_optimal: Whether ``max_inactive`` is proven optimal.
        inactive_parts: The witness: the inactive qubits per QPU (indices of the
            planned circuit), in the order of ``capacities``.
        refined: The refined bound (``None`` when not computed).
        refined_optimal: Whether ``refined`` is proven optimal.
        components: The component bound.
        method: ``"no two-qubit gates"``, ``"one QPU holds all"`` or ``"milp"``.
        status: The solver's messages (empty for the fast paths).
        seconds: Wall-clock time.
    """

    bell_pairs: int
    optimal: bool
    interacting_qubits: int
    edges: int
    capacities: tuple[int, ...]
    max_inactive: int
    inactive_found: int
    inactive_optimal: bool
    inactive_parts: tuple[tuple[int, ...], ...]
    refined: int | None
    refined_optimal: bool
    components: int
    method: str
    status: str
    seconds: float

    def __post_init__(self) -> None:
        if not 0 <= self.inactive_found <= self.max_inactive <= self.interacting_qubits:
            raise ValueError(f"inconsistent PairBound (inactive sizes): {self!r}")
        if sum(len(p) for p in self.inactive_parts) != self.inactive_found:
            raise ValueError(f"inconsistent PairBound (witness size): {self!r}")
        best = max(self.interacting_qubits - self.max_inactive, self.components,
                   -1 if self.refined is None else self.refined)
        if self.bell_pairs != best:
            raise ValueError(f"inconsistent PairBound (bound is not the best of its parts): {self!r}")


def interaction_edges(circuit: Circuit) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    """``(qubits, edges)`` of the interaction graph of ``circuit``'s multi-qubit gates.

    ``qubits``: the qubits with at least one such gate, sorted; ``edges``: the distinct
    pairs ``(a, b)``, ``a < b``, sharing one (a gate on more qubits joins all its pairs).
    Measurements, resets, barriers and correlated noise channels join nothing.

    Examples:
        >>> from welinq_core.circuit import Operation
        >>> c = Circuit(num_qubits=4, operations=[Operation(name="cx", qubits=(2, 0)),
        ...     Operation(name="cz", qubits=(0, 2)), Operation(name="h", qubits=(3,))])
        >>> interaction_edges(c)
        ((0, 2), ((0, 2),))
    """
    edges: set[tuple[int, int]] = set()
    for op in circuit.operations:
        if op.is_gate and op.name != "pauli_channel" and len(op.qubits) >= 2:
            qs = op.qubits
            for i, a in enumerate(qs):
                for b in qs[i + 1:]:
                    if a != b:
                        edges.add((min(a, b), max(a, b)))
    qubits = sorted({q for e in edges for q in e})
    return tuple(qubits), tuple(sorted(edges))


def _check_capacities(capacities: Sequence[int]) -> tuple[int, ...]:
    caps = tuple(capacities)
    if not caps or any(isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 1 for c in caps):
        raise OptionsError(f"capacities {capacities!r} must be a non-empty list of positive integers "
                           "(data slots per QPU)")
    return tuple(int(c) for c in caps)


def _component_bound(qubits: Sequence[int], edges: Sequence[tuple[int, int]], caps: Sequence[int]) -> int:
    graph = nx.Graph()
    graph.add_nodes_from(qubits)
    graph.add_edges_from(edges)
    return component_pair_bound((len(c) for c in nx.connected_components(graph)), caps)


def _solve(qubits: Sequence[int], edges: Sequence[tuple[int, int]], caps: Sequence[int], *, refined: bool,
           time_limit_s: float):
    """One MILP: ``max |I|`` (``refined=False``) or the refined minimum (``refined=True``).

    Variables: ``x[q, p]`` (binary: ``q`` inactive on QPU ``p``); for the refinement also
    ``f[q, p]`` (binary: ``q`` active and ending the run on ``p``), ``y[q, p]`` (``q``'s state
    is on ``p`` at some time: an inactive neighbour or ``q`` itself is there) and ``c[q]``
    (pairs of ``q``, at least ``sum_p y[q, p] - 1`` and at least 1 when active).
    Returns ``(scipy result, n, k)``.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    n, k = len(qubits), len(caps)
    idx = {q: i for i, q in enumerate(qubits)}
    nk = n * k
    nvar = nk + (3 * nk + n if refined else 0)

    def x(i: int, p: int) -> int:
        return i * k + p

    def f(i: int, p: int) -> int:
        return nk + i * k + p

    def y(i: int, p: int) -> int:
        return 2 * nk + i * k + p

    def c(i: int) -> int:
        return 3 * nk + i

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []

    def add(terms: Sequence[tuple[int, float]], lb: float, ub: float) -> None:
        r = len(lo)
        for col, v in terms:
            rows.append(r)
            cols.append(col)
            vals.append(v)
        lo.append(lb)
        hi.append(ub)

    for i in range(n):  # inactive on at most one QPU (refinement: every qubit ends on exactly one)
        terms = [(x(i, p), 1.0) for p in range(k)] + ([(f(i, p), 1.0) for p in range(k)] if refined else [])
        add(terms, 1.0 if refined else -np.inf, 1.0)
    for p in range(k):  # capacities (refinement: of every qubit where it ends)
        terms = [(x(i, p), 1.0) for i in range(n)] + ([(f(i, p), 1.0) for i in range(n)] if refined else [])
        add(terms, -np.inf, float(caps[p]))
    for a, b in edges:  # no edge between inactive qubits on different QPUs (aggregated over the other side)
        ia, ib = idx[a], idx[b]
        for u, v in ((ia, ib), (ib, ia)):
            for p in range(k):
                add([(x(u, p), 1.0)] + [(x(v, q), 1.0) for q in range(k) if q != p], -np.inf, 1.0)
    # Symmetry: QPUs of equal capacity are interchangeable; order their inactive parts by least
    # member (empty parts last). Relabelling such QPUs changes no cost.
    for p in range(1, k):
        prev = max((q for q in range(p) if caps[q] == caps[p]), default=None)
        if prev is None:
            continue
        for i in range(n):
            add([(x(i, p), 1.0)] + [(x(j, prev), -1.0) for j in range(i)], -np.inf, 0.0)
    if refined:
        for i in range(n):
            add([(c(i), 1.0)] + [(f(i, p), -1.0) for p in range(k)], 0.0, np.inf)  # active: >= 1
            add([(c(i), 1.0)] + [(y(i, p), -1.0) for p in range(k)], -1.0, np.inf)  # >= |S| - 1
            for p in range(k):
                add([(y(i, p), 1.0), (f(i, p), -1.0)], 0.0, np.inf)
        for a, b in edges:
            ia, ib = idx[a], idx[b]
            for u, v in ((ia, ib), (ib, ia)):
                for p in range(k):
                    add([(y(u, p), 1.0), (x(v, p), -1.0)], 0.0, np.inf)
    a_mat = coo_matrix((vals, (rows, cols)), shape=(len(lo), nvar)).tocsr()
    cost = np.zeros(nvar)
    integrality = np.zeros(nvar)
    integrality[: 2 * nk if refined else nk] = 1
    upper = np.ones(nvar)
    if refined:
        cost[3 * nk:] = 1.0
        upper[3 * nk:] = k
    else:
        cost[:nk] = -1.0
    with _quiet_stdout():  # HiGHS writes some diagnostics to the process's stdout even with disp=False
        res = milp(c=cost, constraints=[LinearConstraint(a_mat, np.array(lo), np.array(hi))],
                   integrality=integrality, bounds=Bounds(np.zeros(nvar), upper),
                   options={"time_limit": float(time_limit_s), "mip_rel_gap": 0.0, "disp": False})
    return res, n, k


@contextlib.contextmanager
def _quiet_stdout():
    """File descriptor 1 points to the null device for the duration (C libraries print there)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _dual(res, fallback: float) -> float:  # noqa: ANN001
    """The solver's proven bound on its (minimised) objective, or ``fallback`` when it has none."""
    d = getattr(res, "mip_dual_bound", None)
    if d is None or not math.isfinite(d):
        return fallback
    return float(d)


def pair_lower_bound(circuit: Circuit, capacities: Sequence[int], *, time_limit_s: float = 60.0,
                     refine: bool = True, canonical: bool = True) -> PairBound:
    """Bell pairs every distributed plan of ``circuit`` consumes, at least (see the module docstring).

    Args:
        circuit: The circuit as given to :func:`welinq_core.partitioning.partition_circuit`
            or :func:`welinq_core.lowering.lower` (near-identity gates already dropped, as
            ``welinq partition`` does); the planner's canonical rewrites are applied here
            unless ``canonical=False`` (then the graph is that of the gates as written).
        capacities: Data slots of each QPU.
        time_limit_s: Time limit of each integer program (two at most).
        refine: Also compute the refinement (a second, harder program).
        canonical: Apply :func:`welinq_core.lowering.canonicalize` first (default).

    Returns:
        A :class:`PairBound`.

    Raises:
        OptionsError: On capacities that are not positive integers or cannot hold the interacting
            qubits, or a time limit that is not positive.
    """
    caps = _check_capacities(capacities)
    if not (isinstance(time_limit_s, (int, float)) and time_limit_s > 0):
        raise OptionsError(f"time_limit_s {time_limit_s!r} must be a positive number of seconds")
    t0 = time.perf_counter()
    graph = canonicalize(circuit) if canonical else circuit
    qubits, edges = interaction_edges(graph)
    n = len(qubits)
    if sum(caps) < n:
        raise OptionsError(f"capacities {caps} hold {sum(caps)} qubits but {n} qubits have two-qubit gates; "
                           "give at least that many data slots")
    comp = _component_bound(qubits, edges, caps)
    if n == 0 or max(caps) >= n:
        big = max(range(len(caps)), key=lambda p: caps[p])
        parts = tuple(tuple(qubits) if p == big else () for p in range(len(caps)))
        return PairBound(bell_pairs=0, optimal=True, interacting_qubits=n, edges=len(edges), capacities=caps,
                         max_inactive=n, inactive_found=n, inactive_optimal=True, inactive_parts=parts,
                         refined=0 if refine else None, refined_optimal=refine, components=comp,
                         method="no two-qubit gates" if n == 0 else "one QPU holds all", status="",
                         seconds=time.perf_counter() - t0)
    res, _, k = _solve(qubits, edges, caps, refined=False, time_limit_s=time_limit_s)
    big = max(range(k), key=lambda p: caps[p])
    if res.x is None:  # stopped before any solution: any c_max qubits on one QPU are one
        parts = tuple(tuple(qubits[: caps[p]]) if p == big else () for p in range(k))
    else:
        xs = np.round(res.x[: n * k]).reshape(n, k)
        parts = tuple(tuple(qubits[i] for i in range(n) if xs[i, p] > 0.5) for p in range(k))
    found = sum(len(part) for part in parts)
    upper = math.floor(-_dual(res, -float(min(n, sum(caps)))) + _ROUND_EPS)
    upper = max(min(upper, n), found)
    statuses = [f"max|I|: {res.message}"]
    refined_val: int | None = None
    refined_opt = False
    if refine:
        rres, _, _ = _solve(qubits, edges, caps, refined=True, time_limit_s=time_limit_s)
        statuses.append(f"refined: {rres.message}")
        dual = _dual(rres, float(n - upper))
        refined_val = max(math.ceil(dual - _ROUND_EPS), 0)
        refined_opt = rres.x is not None and round(float(rres.fun)) == refined_val
    base = n - upper
    best = max(base, comp, -1 if refined_val is None else refined_val)
    inactive_opt = found == upper
    # Exact: the strongest program (the refinement's optimum is never below N - max|I|) closed.
    optimal = refined_opt if refine else inactive_opt
    return PairBound(bell_pairs=best, optimal=optimal, interacting_qubits=n, edges=len(edges), capacities=caps,
                     max_inactive=upper, inactive_found=found, inactive_optimal=inactive_opt, inactive_parts=parts,
                     refined=refined_val, refined_optimal=refined_opt, components=comp, method="milp",
                     status="; ".join(statuses), seconds=time.perf_counter() - t0)


def planned_circuit(qc, *, identity_tolerance: float = NEAR_IDENTITY_TOLERANCE) -> Circuit:  # noqa: ANN001
    """A Qiskit circuit as ``welinq partition`` plans it: converted as written, near-identity
    two-qubit gates dropped, idle qubits removed (see :mod:`qiskit_welinq.cli.partition`)."""
    from qiskit_welinq.convert import circuit_from_qiskit

    near = drop_near_identity(circuit_from_qiskit(qc), tolerance=identity_tolerance)
    ir = near.circuit
    active = ir.active_qubits()
    return ir if len(active) == ir.num_qubits else ir.restricted_to(active)


def qasm_pair_bound(path: str | Path, num_qpus: int, qubits_per_qpu: int, *,
                    identity_tolerance: float = NEAR_IDENTITY_TOLERANCE, time_limit_s: float = 60.0,
                    refine: bool = True) -> PairBound:
    """The bound for ``welinq partition PATH --qpus K --qubits-per-qpu C [--identity-tolerance EPS]``.

    The file is read as the command reads it (:func:`qiskit_welinq.cli._common.load_qasm`).
    """
    from qiskit_welinq.cli._common import load_qasm

    qc = load_qasm(str(path), max_qubits=num_qpus * qubits_per_qpu)
    ir = planned_circuit(qc, identity_tolerance=identity_tolerance)
    return pair_lower_bound(ir, [qubits_per_qpu] * num_qpus, time_limit_s=time_limit_s, refine=refine)


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="A proven lower bound on the Bell pairs of welinq partition FILE.")
    ap.add_argument("circuit")
    ap.add_argument("--qpus", type=int, required=True)
    ap.add_argument("--qubits-per-qpu", type=int, default=None, help="default: floor(n / qpus) + 1")
    ap.add_argument("--identity-tolerance", type=float, default=NEAR_IDENTITY_TOLERANCE)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--no-refine", action="store_true")
    args = ap.parse_args(argv)
    cap = args.qubits_per_qpu
    if cap is None:
        from qiskit import QuantumCircuit

        cap = QuantumCircuit.from_qasm_file(args.circuit).num_qubits // args.qpus + 1
    b = qasm_pair_bound(args.circuit, args.qpus, cap, identity_tolerance=args.identity_tolerance,
                        time_limit_s=args.time_limit, refine=not args.no_refine)
    print(f"at least {b.bell_pairs} Bell pairs ({'proven optimal bound' if b.optimal else 'solver dual bound'}); "
          f"{b.interacting_qubits} interacting qubits, {b.edges} edges, max inactive set {b.max_inactive} "
          f"(found {b.inactive_found}), refined {b.refined}, components {b.components}; {b.status}; "
          f"{b.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
