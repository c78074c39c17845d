"""Parameter sweeps: how a circuit's results change with the cluster, point by point.

:func:`sweep` runs every circuit at every point of the Cartesian product of the
values in ``vary`` and returns one row per (point, circuit) as a pandas DataFrame.
Keys of ``vary`` are

* ``link.<field>``: a numeric field of :class:`~welinq_core.cluster.Link`
  (``bell_pair_fidelity``, ``bell_pair_rate_hz``, ``length_km``), set on every link;
* ``qpu.<field>``: a numeric field of :class:`~welinq_core.cluster.QPU`
  (``two_qubit_gate_error``, ``readout_error``, ``t2_s``, ...), set on every QPU;
* the cluster's shape: ``num_qpus``, ``data_qubits_per_qpu`` (a number, or ``"fit"``:
  just enough for the circuit, ``ceil(qubits / num_qpus)``), ``comm_qubits_per_qpu``
  and ``topology``; the cluster is then rebuilt with
  :meth:`~welinq_core.cluster.Cluster.homogeneous` from its first QPU and link.

Each point is compiled once (partition, lowering, schedule, noise) and sampled, as
an independent task on the ``executor`` (None: in this process; any
``concurrent.futures.Executor`` or a ``dask.distributed.Client``). Point ``i`` (in
the order of the product, circuits innermost) is sampled with
``spawn_seeds(seed, points)[i]``, so the numbers do not depend on the executor.

Rows are appended to ``out`` (CSV) as points finish. Running the same sweep again
with the same ``out`` skips the points already in the file, so an interrupted sweep
(a crash, Ctrl-C) loses at most the points that were running. A file written by a
different sweep (other parameters, other circuits, other shot count) or a malformed
one is refused with :class:`~welinq_core.errors.SweepFileError`; nothing in it is
ever overwritten.

Columns: the parameters, then ``circuit``, ``circuit_hash``, ``num_qubits``,
``shots``, ``seed``, ``bell_pairs`` (total), ``bell_pairs_per_link`` (JSON),
``makespan_s`` (one shot's schedule), ``stall_fraction`` (share of the makespan
spent waiting on the network: ``1 - local critical path / makespan``),
``hellinger_fidelity`` (to the ideal output distribution, computed exactly),
``success_probability`` (share of shots in the ``success`` bitstrings),
``observable_mean`` (mean of ``observable``), ``method`` and ``wall_s``.

Examples:
    >>> from qiskit import QuantumCircuit
    >>> from welinq_core import Cluster
    >>> ghz = QuantumCircuit(4, 4, name="ghz4")
    >>> _ = ghz.h(0); _ = [ghz.cx(i, i + 1) for i in range(3)]; _ = ghz.measure(range(4), range(4))
    >>> table = sweep(ghz, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2),
    ...               vary={"link.bell_pair_fidelity": [1.0, 0.8]}, shots=2000, seed=1,
    ...               success=["0000", "1111"], observable="ZZII", out=None, progress=False)
    >>> table[["link.bell_pair_fidelity", "bell_pairs", "success_probability"]].round(1).values.tolist()
    [[1.0, 1.0, 1.0], [0.8, 1.0, 0.9]]

    (A Werner pair of fidelity F flips the GHZ parity with probability 2(1 - F)/3, so the
    exact success probability at F = 0.8 is 0.867.)
    >>> float(table["observable_mean"][0])
    1.0

References:
    The resumable, append-only result file follows sinter's practice for QEC sampling
    (Gidney, "Stim: a fast stabilizer circuit simulator", Quantum 5, 497 (2021)).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import itertools
import json
import math
import numbers
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tqdm import tqdm

from qiskit_welinq.sweep_file import RESULT_COLUMNS, cell, header, read_results, row_key
from welinq_core import reference
from welinq_core.circuit import Circuit
from welinq_core.cluster import QPU, TOPOLOGIES, Cluster, Link
from welinq_core.errors import (
    ClusterSpecError,
    OptionsError,
    SweepPointError,
    WelinqError,
)
from welinq_core.executor import check_executor, iter_completed
from welinq_core.pipeline import compile_program
from welinq_core.seeding import check_seed, spawn_seeds

__all__ = ["RESULT_COLUMNS", "SHAPE_KEYS", "SweepPoint", "run_point", "sweep", "sweep_keys"]

#: Keys that change the cluster's shape (the cluster is rebuilt as a homogeneous one).
SHAPE_KEYS = ("num_qpus", "data_qubits_per_qpu", "comm_qubits_per_qpu", "topology")
_INT_SHAPE = ("num_qpus", "data_qubits_per_qpu", "comm_qubits_per_qpu")
#: Exact ideal distributions are computed up to this many qubits (NaN fidelity beyond).
IDEAL_MAX_QUBITS = 16


def _numeric_fields(cls: type, skip: Iterable[str] = ()) -> dict[str, bool]:
    """``{field: accepts None}`` for the numeric fields of a dataclass."""
    out = {}
    for f in dataclasses.fields(cls):
        kind = str(f.type).replace(" ", "")
        if f.name not in skip and kind in ("float", "int", "float|None", "int|None"):
            out[f.name] = kind.endswith("None")
    return out


def sweep_keys() -> tuple[str, ...]:
    """Every key :func:`sweep` accepts in ``vary``.

    Examples:
        >>> "link.length_km" in sweep_keys(), "qpu.two_qubit_gate_error" in sweep_keys()
        (True, True)
    """
    links = [f"link.{k}" for k in _numeric_fields(Link)]
    qpus = [f"qpu.{k}" for k in _numeric_fields(QPU, skip=("num_data_qubits", "num_comm_qubits"))]
    return tuple(links + qpus + list(SHAPE_KEYS))


# ----------------------------------------------------------------------------- the grid
def _check_vary(vary: Mapping[str, Any]) -> dict[str, list[Any]]:
    if not isinstance(vary, Mapping) or not vary:
        raise OptionsError(
            f"vary={vary!r} must be a non-empty mapping such as {{'link.length_km': [0, 10, 50]}}; "
            f"valid keys are {list(sweep_keys())}"
        )
    valid = sweep_keys()
    optional = {f"link.{k}": n for k, n in _numeric_fields(Link).items()}
    optional.update({f"qpu.{k}": n for k, n in _numeric_fields(QPU).items()})
    out: dict[str, list[Any]] = {}
    for key, values in vary.items():
        if key not in valid:
            raise OptionsError(f"vary key {key!r} is unknown; valid keys are {list(valid)}")
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            values = [values]
        values = list(values)
        if not values:
            raise OptionsError(f"vary[{key!r}] is empty; give at least one value")
        checked = []
        for v in values:
            checked.append(_check_value(key, v, allow_none=optional.get(key, False)))
        if len(set(map(repr, checked))) != len(checked):
            raise OptionsError(f"vary[{key!r}]={values!r} repeats a value; give each value once")
        out[key] = checked
    return out


def _check_value(key: str, v: Any, *, allow_none: bool) -> Any:
    if key == "topology":
        if v not in TOPOLOGIES:
            raise OptionsError(f"vary['topology'] value {v!r} is unknown; choose from {TOPOLOGIES}")
        return v
    if key == "data_qubits_per_qpu" and v == "fit":
        return v
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)):
        raise OptionsError(f"vary[{key!r}] value {v!r} is not a finite number; give numbers")
    if key in _INT_SHAPE:
        if float(v) != int(v):
            raise OptionsError(f"vary[{key!r}] value {v!r} must be a whole number")
        return int(v)
    return float(v)


def _infer_topology(cluster: Cluster) -> str | None:
    """The topology of a homogeneous cluster (its name's suffix, else the one that matches its links)."""
    names = set(cluster.qpu_names)
    if names != {f"qpu{i}" for i in range(cluster.num_qpus)}:
        return None
    edges = {tuple(sorted(k)) for k, _ in cluster.links}
    matches = []
    for topology in TOPOLOGIES:
        probe = Cluster.homogeneous(num_qpus=cluster.num_qpus, data_qubits_per_qpu=1, topology=topology)
        if {tuple(sorted(k)) for k, _ in probe.links} == edges:
            matches.append(topology)
    named = [t for t in matches if cluster.name.endswith(f"-{t}")]
    if named:
        return named[0]
    return matches[0] if len(matches) == 1 else None


def _with_fidelity(link: Link, fidelity: float) -> dict[str, Any]:
    """Link fields for a new fidelity, keeping a non-Werner pair's error proportions."""
    if link.bell_pair_probabilities is None:
        return {"bell_pair_fidelity": fidelity}
    _, *errors = link.bell_pair_probabilities
    total = sum(errors)
    if total == 0:
        errors, total = [1.0, 1.0, 1.0], 3.0
    probs = (fidelity, *((1 - fidelity) * e / total for e in errors))
    return {"bell_pair_fidelity": fidelity, "bell_pair_probabilities": probs}


def point_cluster(base: Cluster, params: Mapping[str, Any], num_qubits: int) -> Cluster:
    """The cluster of one sweep point (``params``: key -> value) for a circuit of ``num_qubits``.

    Raises:
        ClusterSpecError: If a value fails the cluster's validation (the message names the point).

    Examples:
        >>> c = point_cluster(Cluster.preset("ideal-4-line"), {"num_qpus": 3, "link.length_km": 2.0}, 5)
        >>> c.num_qpus, c.links[0][1].length_km, sorted(k for k, _ in c.links)
        (3, 2.0, [('qpu0', 'qpu1'), ('qpu1', 'qpu2')])
    """
    try:
        cluster = base
        shape = {k: v for k, v in params.items() if k in SHAPE_KEYS}
        if shape:
            template, link = base.qpus[0], (base.links[0][1] if base.links else Link())
            topology = shape.get("topology") or _infer_topology(base)
            if topology is None:
                raise ClusterSpecError(
                    f"cannot tell the topology of cluster {base.name!r} to rebuild it with other shape "
                    "values; add 'topology' to vary, e.g. vary={'topology': ['line'], ...}"
                )
            n = shape.get("num_qpus", base.num_qpus)
            size = shape.get("data_qubits_per_qpu", template.num_data_qubits)
            if size == "fit":
                size = -(-num_qubits // n)
            cluster = Cluster.homogeneous(
                num_qpus=n, data_qubits_per_qpu=size,
                comm_qubits_per_qpu=shape.get("comm_qubits_per_qpu", template.num_comm_qubits),
                topology=topology, link=link, qpu=template,
            )
        qpu_fields = {k[4:]: v for k, v in params.items() if k.startswith("qpu.")}
        link_fields = {k[5:]: v for k, v in params.items() if k.startswith("link.")}
        qpus = [dataclasses.replace(q, **qpu_fields) for q in cluster.qpus] if qpu_fields else cluster.qpus
        links = {}
        for key, link in cluster.links:
            fields = dict(link_fields)
            if "bell_pair_fidelity" in fields:
                fields.update(_with_fidelity(link, fields["bell_pair_fidelity"]))
            links[key] = dataclasses.replace(link, **fields) if fields else link
        return Cluster(qpus=qpus, links=links, name=cluster.name)
    except ClusterSpecError as err:
        raise ClusterSpecError(f"sweep point {_label(params)}: {err}") from err


def _label(params: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k}={v!r}" for k, v in params.items()) + "}"


# ----------------------------------------------------------------------------- one point
@dataclasses.dataclass(frozen=True, kw_only=True)
class SweepPoint:
    """One task of a sweep: a circuit on the cluster of one point (picklable).

    Attributes:
        index: Position in the sweep (sets the seed).
        circuit: The circuit in the IR.
        cluster: The point's cluster.
        shots: Shots to sample.
        seed: The sampler's seed.
        seed_partition: Seed of the partitioner and scheduler.
        mode: Execution mode.
        method: Engine method.
    """

    index: int
    circuit: Circuit
    cluster: Cluster
    shots: int
    seed: int
    seed_partition: int | None = 0
    mode: str = "effective"
    method: str = "automatic"


def run_point(point: SweepPoint) -> dict[str, Any]:
    """Compile and sample one point; the counts and the schedule's numbers.

    Project errors come back as ``{"error": ...}`` (so they cross process boundaries).
    """
    from qiskit_welinq.engine import run_on_aer

    start = time.perf_counter()
    try:
        # draw_per_shot: every shot draws its own noise events and, on finite-rate links, its
        # own schedule, as in ClusterBackend.run (one drawn schedule for all shots is biased)
        compiled = compile_program(point.circuit, point.cluster, mode=point.mode, seed=point.seed_partition,
                                   draw_per_shot=True)
        engine = run_on_aer(compiled, shots=point.shots, seed=point.seed, method=point.method)
    except WelinqError as err:
        return {"error": f"{type(err).__name__}: {err}"}
    timed = compiled.schedule
    makespan = float(timed.makespan_s) if timed is not None else 0.0
    local = float(timed.local_makespan_s) if timed is not None else 0.0
    return {
        "counts": dict(Counter(engine.memory)),
        "bell_pairs": compiled.report.total_bell_pairs,
        "bell_pairs_per_link": json.dumps(compiled.report.bell_pairs_per_link, sort_keys=True),
        "makespan_s": makespan,
        "stall_fraction": max(0.0, 1.0 - local / makespan) if makespan > 0 else 0.0,
        "method": engine.method,
        "wall_s": time.perf_counter() - start,
    }


# ----------------------------------------------------------------------------- metrics
def circuit_hash(circuit: Circuit) -> str:
    """A short hash of a circuit's content (not its name).

    Examples:
        >>> from welinq_core.circuit import Operation
        >>> a = Circuit(num_qubits=1, operations=[Operation(name="h", qubits=(0,))], name="a")
        >>> circuit_hash(a) == circuit_hash(Circuit(num_qubits=1, operations=a.operations, name="b"))
        True
    """
    text = repr((circuit.num_qubits, circuit.num_clbits, circuit.operations))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _ideal_distribution(circuit: Circuit) -> dict[int, float] | None:
    if circuit.num_qubits > IDEAL_MAX_QUBITS or circuit.num_clbits == 0:
        return None
    probs = reference.simulate(circuit).probabilities()
    return {int(k, 2): p for k, p in probs.items() if p > 1e-15}


def hellinger_fidelity(counts: Mapping[int, int], ideal: Mapping[int, float]) -> float:
    """``(sum_x sqrt(p(x) q(x)))**2`` between sampled counts and an exact distribution.

    Examples:
        >>> hellinger_fidelity({0: 50, 3: 50}, {0: 0.5, 3: 0.5})
        1.0
    """
    total = sum(counts.values())
    # fsum is correctly rounded, so the value does not depend on the order of the counts
    # (which differs between a serial run and one gathered from workers)
    bc = math.fsum(math.sqrt(n / total * ideal.get(k, 0.0)) for k, n in counts.items())
    return min(1.0, bc * bc)


def _parse_bitstrings(success: Any, width: int, name: str) -> set[int] | None:
    if success is None:
        return None
    items = [success] if isinstance(success, str) else list(success)
    out = set()
    for s in items:
        s = str(s).replace(" ", "")
        if len(s) != width or set(s) - {"0", "1"}:
            raise OptionsError(
                f"success bitstring {s!r} for circuit {name!r} must be {width} characters of 0/1 "
                "(Qiskit order: classical bit 0 rightmost)"
            )
        out.add(int(s, 2))
    return out


def _observable_values(observable: Any, width: int, name: str) -> Callable[[int], float] | None:
    if observable is None:
        return None
    if callable(observable):
        return lambda v: float(observable(format(v, f"0{width}b")))
    label = str(observable).upper()
    if len(label) != width or set(label) - {"I", "Z"}:
        raise OptionsError(
            f"observable {observable!r} for circuit {name!r} must be {width} letters I/Z (Qiskit order, "
            "classical bit 0 rightmost) or a function of the bitstring"
        )
    mask = sum(1 << i for i, ch in enumerate(reversed(label)) if ch == "Z")
    return lambda v: -1.0 if bin(v & mask).count("1") % 2 else 1.0


def _per_circuit(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    return value


# ----------------------------------------------------------------------------- the sweep
def sweep(
    circuits: Any,
    cluster: Cluster | str,
    vary: Mapping[str, Any],
    *,
    shots: int = 1000,
    seed: int | None = None,
    executor: Any = None,
    out: str | os.PathLike[str] | None = "results.csv",
    success: Any = None,
    observable: Any = None,
    mode: str = "effective",
    method: str = "automatic",
    seed_partition: int | None = 0,
    progress: bool | None = None,
):
    """Run ``circuits`` at every point of the product of ``vary``; a pandas DataFrame of results.

    Args:
        circuits: A Qiskit ``QuantumCircuit`` or a list of them (named by ``.name``).
        cluster: The base cluster (or a preset name) whose fields the sweep varies.
        vary: ``{key: values}``; keys from :func:`sweep_keys` (see the module docstring).
        shots: Shots per point and circuit.
        seed: The sweep's seed; point ``i`` uses ``spawn_seeds(seed, points)[i]``. None
            draws a fresh one (each row records the seed it used).
        executor: None (this process), a ``concurrent.futures.Executor`` or a
            ``dask.distributed.Client``.
        out: CSV file to append rows to and resume from, or None (no file).
        success: Bitstrings counted as success (Qiskit order), or ``{circuit name: bitstrings}``.
        observable: An ``I``/``Z`` label over the classical bits (Qiskit order) or a function
            of the bitstring; its mean is reported. Or ``{circuit name: observable}``.
        mode, method, seed_partition: As the :class:`~qiskit_welinq.ClusterBackend` options.
        progress: Show a progress bar over points (None: when more than 4 points remain).

    Returns:
        One row per (point, circuit), in the order of the product (circuits innermost).

    Raises:
        OptionsError: On an unknown ``vary`` key (the message lists the valid ones), an
            empty or non-numeric range, or bad ``success``/``observable`` values.
        ClusterSpecError: If a point's values fail the cluster's validation (names the point).
        SweepFileError: If ``out`` is malformed or belongs to a different sweep.
        SweepPointError: If compiling or sampling a point fails (rows written so far are kept).
    """
    try:
        import pandas as pd
    except ImportError as err:  # pragma: no cover - pandas ships with the sweep extra
        raise OptionsError("sweep needs pandas; install it with pip install 'welinq[sweep]'") from err
    from qiskit import QuantumCircuit

    from qiskit_welinq.backend import circuit_ir
    from qiskit_welinq.engine import METHODS
    from welinq_core.pipeline import MODES

    if isinstance(cluster, str):
        cluster = Cluster.preset(cluster)
    if not isinstance(cluster, Cluster):
        raise OptionsError(f"cluster={cluster!r} must be a welinq Cluster or a preset name")
    if isinstance(circuits, QuantumCircuit):
        circuits = [circuits]
    circuits = list(circuits)
    if not circuits or not all(isinstance(c, QuantumCircuit) for c in circuits):
        raise OptionsError("circuits must be a QuantumCircuit or a non-empty list of QuantumCircuits")
    if not isinstance(shots, int) or isinstance(shots, bool) or shots < 1:
        raise OptionsError(f"shots={shots!r} must be a positive integer")
    if mode not in MODES:
        raise OptionsError(f"mode={mode!r} is unknown; choose one of {MODES}")
    if method not in METHODS:
        raise OptionsError(f"method={method!r} is unknown; choose one of {METHODS}")
    check_executor(executor)
    seed = check_seed(seed, name="seed")
    grid = _check_vary(vary)
    keys = list(grid)

    irs = [circuit_ir(qc) for qc in circuits]
    names = [qc.name for qc in circuits]
    hashes = [circuit_hash(ir) for ir in irs]
    successes = [_parse_bitstrings(_per_circuit(success, n), ir.num_clbits, n) for n, ir in zip(names, irs)]
    observables = [_observable_values(_per_circuit(observable, n), ir.num_clbits, n) for n, ir in zip(names, irs)]

    combos = list(itertools.product(*(grid[k] for k in keys)))
    n_points = len(combos) * len(circuits)
    seeds = spawn_seeds(seed, n_points)
    # Build (and so validate) every point's cluster before running anything.
    points: list[tuple[dict[str, Any], int, SweepPoint]] = []
    for p, values in enumerate(combos):
        params = dict(zip(keys, values))
        for c, ir in enumerate(irs):
            index = p * len(circuits) + c
            point = SweepPoint(
                index=index, circuit=ir, cluster=point_cluster(cluster, params, ir.num_qubits), shots=shots,
                seed=seeds[index], seed_partition=seed_partition, mode=mode, method=method,
            )
            points.append((params, c, point))

    done: dict[tuple, dict[str, Any]] = {}
    path = None if out is None else os.fspath(out)
    if path is not None and os.path.exists(path):
        for row in read_results(path, keys, shots=shots, hashes=dict(zip(hashes, names))):
            done[row_key(row["circuit_hash"], [row[k] for k in keys])] = row
    todo = [(params, c, point) for params, c, point in points if row_key(hashes[c], list(params.values())) not in done]

    ideals: dict[int, dict[int, float] | None] = {}
    rows: dict[tuple, dict[str, Any]] = dict(done)
    writer_file = None
    try:
        if path is not None and todo:
            fresh = not os.path.exists(path) or os.path.getsize(path) == 0
            writer_file = open(path, "a", encoding="utf-8", newline="")
            writer = csv.writer(writer_file)
            if fresh:
                writer.writerow(header(keys))
                writer_file.flush()
        show = progress if progress is not None else len(todo) > 4
        with tqdm(total=len(todo), desc="sweep", unit="point", disable=not show) as bar:
            for i, outcome in iter_completed(run_point, [t[2] for t in todo], executor=executor):
                params, c, point = todo[i]
                if "error" in outcome:
                    raise SweepPointError(
                        f"sweep point {_label(params)} with circuit {names[c]!r} failed: {outcome['error']}"
                        + (f"; rows already written are kept in {path!r}" if path else "")
                    )
                if c not in ideals:
                    ideals[c] = _ideal_distribution(irs[c])
                counts = outcome["counts"]
                row = dict(params)
                row.update(
                    circuit=names[c], circuit_hash=hashes[c], num_qubits=irs[c].num_qubits, shots=shots,
                    seed=point.seed, bell_pairs=outcome["bell_pairs"],
                    bell_pairs_per_link=outcome["bell_pairs_per_link"], makespan_s=outcome["makespan_s"],
                    stall_fraction=outcome["stall_fraction"],
                    hellinger_fidelity=(
                        math.nan if ideals[c] is None else hellinger_fidelity(counts, ideals[c])
                    ),
                    success_probability=(
                        math.nan if successes[c] is None
                        else sum(n for v, n in counts.items() if v in successes[c]) / shots
                    ),
                    observable_mean=(
                        math.nan if observables[c] is None
                        else math.fsum(observables[c](v) * n for v, n in counts.items()) / shots
                    ),
                    method=outcome["method"], wall_s=outcome["wall_s"],
                )
                if writer_file is not None:
                    writer.writerow([cell(row[col]) for col in header(keys)])
                    writer_file.flush()
                rows[row_key(hashes[c], list(params.values()))] = row
                bar.set_postfix_str(_label(params)[:60], refresh=False)
                bar.update()
    finally:
        if writer_file is not None:
            writer_file.close()
    ordered = [rows[row_key(hashes[c], list(params.values()))] for params, c, _ in points]
    frame = pd.DataFrame(ordered, columns=header(keys))
    for col in ("hellinger_fidelity", "success_probability", "observable_mean"):
        frame[col] = frame[col].astype(float)
    return frame
