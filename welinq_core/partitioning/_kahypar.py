"""Optional KaHyPar back end (km1 objective, per-block capacities).

KaHyPar wheels reject zero-weight vertices, so (as in our pytket-dqc notes) every
qubit weighs ``W = G + 1`` and every gate vertex 1, and block ``i`` may hold
``cap_i * W + G``: exactly "at most ``cap_i`` qubits", whatever the gates do.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import tempfile
from collections.abc import Sequence

from welinq_core.partitioning.hypergraph import PacketHypergraph

try:  # optional accelerator; a pure-Python refiner is used without it
    import kahypar as _kahypar
except ImportError:  # pragma: no cover - depends on the environment
    _kahypar = None

__all__ = ["available", "kahypar_partition"]

# Direct k-way km1 preset (the settings of KaHyPar's km1_kKaHyPar_sea20 preset, minus
# community-aware sparsification knobs we do not need).
_INI = """\
mode=direct
objective=km1
seed=-1
cmaxnet=1000
vcycles=0
p-use-sparsifier=true
p-sparsifier-min-median-he-size=28
p-sparsifier-max-hyperedge-size=1200
p-sparsifier-max-cluster-size=10
p-sparsifier-min-cluster-size=2
p-sparsifier-num-hash-func=5
p-sparsifier-combined-num-hash-func=100
p-detect-communities=true
p-detect-communities-in-ip=true
p-reuse-communities=false
p-max-louvain-pass-iterations=100
p-min-eps-improvement=0.0001
p-louvain-edge-weight=hybrid
p-large-he-threshold=1000
p-smallest-maxnet-threshold=50000
p-maxnet-removal-factor=0.01
c-type=ml_style
c-s=1
c-t=160
c-rating-score=heavy_edge
c-rating-use-communities=true
c-rating-heavy_node_penalty=no_penalty
c-rating-acceptance-criterion=best_prefer_unmatched
c-fixed-vertex-acceptance-criterion=fixed_vertex_allowed
i-mode=recursive
i-technique=multi
i-c-type=ml_style
i-c-s=1
i-c-t=150
i-c-rating-score=heavy_edge
i-c-rating-use-communities=true
i-c-rating-heavy_node_penalty=no_penalty
i-c-rating-acceptance-criterion=best_prefer_unmatched
i-c-fixed-vertex-acceptance-criterion=fixed_vertex_allowed
i-algo=pool
i-runs=20
i-bp-algorithm=worst_fit
i-bp-heuristic-prepacking=false
i-bp-early-restart=true
i-bp-late-restart=true
i-r-type=twoway_fm
i-r-runs=-1
i-r-fm-stop=simple
i-r-fm-stop-i=50
r-type=kway_fm_hyperflow_cutter_km1
r-runs=-1
r-fm-stop=adaptive_opt
r-fm-stop-alpha=1
r-fm-stop-i=350
r-flow-execution-policy=exponential
r-hfc-size-constraint=mf-style
r-hfc-scaling=16
r-hfc-distance-based-piercing=true
r-hfc-mbc=true
"""

def available() -> bool:
    """Whether the ``kahypar`` module can be imported."""
    return _kahypar is not None


def _load_ini(ctx: object) -> None:
    """Load the configuration into ``ctx`` from a temporary file, removed right after."""
    fd, path = tempfile.mkstemp(prefix="welinq-kahypar-", suffix=".ini")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(_INI)
        ctx.loadINIconfiguration(path)  # type: ignore[attr-defined]
    finally:
        with contextlib.suppress(OSError):
            os.remove(path)


def kahypar_partition(hg: PacketHypergraph, capacities: Sequence[int], *, seed: int,
                      timeout_s: float | None = None) -> list[int] | None:
    """Block of every vertex from KaHyPar, or None when KaHyPar is unavailable, fails or runs out of time.

    KaHyPar cannot be interrupted and holds the interpreter while it runs; on large
    hypergraphs, or with ``timeout_s`` (seconds), it runs in a forked child process
    (same input, same seed, same result) that is stopped when the time is up, so that
    status threads keep running and a deadline holds.
    """
    if _kahypar is None or not hg.edges:
        return None
    pins = sum(len(e) for e in hg.edges)
    if timeout_s is None and pins < _CHILD_MIN_PINS:
        return _partition(hg, capacities, seed)
    if timeout_s is not None and timeout_s <= 0:
        return None
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - no fork on this platform
        return _partition(hg, capacities, seed) if timeout_s is None else None
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, hg, capacities, seed), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(timeout_s):
            return None
        return receive.recv()
    except (EOFError, OSError):  # the child died
        return None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()


_CHILD_MIN_PINS = 50_000  # hypergraphs at least this large are partitioned in a child process


def _child(send, hg: PacketHypergraph, capacities: Sequence[int], seed: int) -> None:  # noqa: ANN001
    try:
        send.send(_partition(hg, capacities, seed))
    finally:
        send.close()


def _partition(hg: PacketHypergraph, capacities: Sequence[int], seed: int) -> list[int] | None:
    k = len(capacities)
    n_gates = hg.num_gate_vertices
    w = n_gates + 1
    index = [0]
    pins: list[int] = []
    for e in hg.edges:
        pins.extend(e)
        index.append(len(pins))
    node_weights = [w] * hg.num_qubits + [1] * n_gates
    try:
        h = _kahypar.Hypergraph(hg.num_vertices, len(hg.edges), index, pins, k, [1] * len(hg.edges), node_weights)
        ctx = _kahypar.Context()
        _load_ini(ctx)
        ctx.setK(k)
        ctx.setEpsilon(0.03)
        ctx.setCustomTargetBlockWeights([int(c) * w + n_gates for c in capacities])
        ctx.setSeed(int(seed))
        ctx.suppressOutput(True)
        _kahypar.partition(h, ctx)
        blocks = [h.blockID(v) for v in range(hg.num_vertices)]
    except Exception:  # noqa: BLE001 - any back-end failure falls back to the pure refiner
        return None
    loads = [0] * k
    for q in range(hg.num_qubits):
        if not 0 <= blocks[q] < k:
            return None
        loads[blocks[q]] += 1
    if any(l > c for l, c in zip(loads, capacities)):
        return None
    return blocks
