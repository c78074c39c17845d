"""Threshold studies the sinter way: sweep, decode, append to a resumable CSV, plot, find crossings.

:func:`memory_tasks` turns a sweep over distance, bulk error and interface error into
:class:`sinter.Task` objects (metadata: ``d``, ``r``, ``p_bulk``, ``p_int`` and the model
names); :func:`collect_memory` samples and decodes them with pymatching on several
processes (sinter's own), or as one job per task on a ``concurrent.futures.Executor`` or a
Dask ``Client`` (``executor=``), appending to a CSV file in sinter's own format, so an
interrupted run resumes where it stopped and a repeated run adds shots. :func:`logical_error_points`
turns statistics into logical error rates per round, :func:`threshold_crossings` finds
where the curves of consecutive distances cross, and :func:`plot_logical_error` draws one
curve per distance.

The per-round rate of a run of ``r`` rounds with per-shot logical error ``P`` is
``(1 - (1 - 2 P) ** (1 / r)) / 2`` (as sinter's plotting does for one observable).

Examples:
    >>> tasks = memory_tasks(distances=[3], bulk_errors=[0.001], interface_errors=[0.05, 0.1])
    >>> [t.json_metadata["p_int"] for t in tasks]
    [0.05, 0.1]
    >>> round(per_round_error(0.1, rounds=1), 12), round(per_round_error(0.1, rounds=5), 5)
    (0.1, 0.02182)
"""

from __future__ import annotations

import dataclasses
import math
import os
import pathlib
from collections.abc import Iterable, Sequence
from typing import Any

import sinter

from welinq_core.errors import OptionsError
from welinq_core.executor import check_executor, iter_completed
from welinq_core.qec.memory import surface_code_memory

__all__ = [
    "Crossing",
    "DecodingJob",
    "LogicalErrorPoint",
    "collect_memory",
    "decode_job",
    "logical_error_points",
    "memory_tasks",
    "per_round_error",
    "plot_logical_error",
    "read_stats",
    "threshold_crossings",
]


def per_round_error(per_shot: float, *, rounds: int) -> float:
    """Logical error per round from the error per shot of ``rounds`` rounds (one observable)."""
    if per_shot >= 0.5:
        return 0.5
    return (1 - (1 - 2 * per_shot) ** (1 / rounds)) / 2


def memory_tasks(
    *,
    distances: Sequence[int],
    bulk_errors: Sequence[float],
    interface_errors: Sequence[float],
    rounds: int | None = None,
    num_qpus: int = 2,
    basis: str = "z",
    seam: str = "vertical",
    noise_model: str = "uniform",
    interface_channel: str = "depolarizing",
) -> list[sinter.Task]:
    """One sinter task per (distance, bulk error, interface error).

    Args:
        distances: Odd distances, at least 3.
        bulk_errors: Bulk error strengths.
        interface_errors: Interface error probabilities.
        rounds: Rounds per experiment; default ``distance`` rounds.
        num_qpus, basis, seam, noise_model, interface_channel: As in
            :func:`~welinq_core.qec.memory.surface_code_memory`.
    """
    tasks = []
    for d in distances:
        for p_bulk in bulk_errors:
            for p_int in interface_errors:
                r = d if rounds is None else rounds
                circuit = surface_code_memory(distance=d, rounds=r, bulk_error=p_bulk, interface_error=p_int,
                                              num_qpus=num_qpus, basis=basis, seam=seam, noise_model=noise_model,
                                              interface_channel=interface_channel)
                meta = {"d": int(d), "r": int(r), "p_bulk": float(p_bulk), "p_int": float(p_int),
                        "qpus": int(num_qpus), "basis": basis, "seam": seam, "noise": noise_model,
                        "channel": interface_channel}
                tasks.append(sinter.Task(circuit=circuit, json_metadata=meta))
    return tasks


def collect_memory(
    tasks: Iterable[sinter.Task],
    *,
    csv_path: str | os.PathLike[str] | None = None,
    max_shots: int = 100_000,
    max_errors: int = 500,
    num_workers: int | None = None,
    print_progress: bool = False,
    executor: object = None,
) -> list[sinter.TaskStats]:
    """Sample and decode ``tasks`` with pymatching on ``num_workers`` processes, or on an executor.

    Args:
        tasks: From :func:`memory_tasks` (or any sinter tasks).
        csv_path: Results are appended to this CSV (sinter's format) while collecting; on
            a re-run the shots already there count towards ``max_shots``/``max_errors``,
            so an interrupted sweep resumes where it stopped. None: keep in memory.
        max_shots: Stop a task after this many shots (including earlier ones in the CSV).
        max_errors: Stop a task after this many logical errors.
        num_workers: Worker processes of sinter's own pool; default the number of CPUs.
        executor: None (sinter's multiprocess collection), or a
            ``concurrent.futures.Executor`` or ``dask.distributed.Client``: each task is
            then sampled and decoded (stim, pymatching) as one job on it, and its
            statistics are appended to ``csv_path`` when it finishes.

    Returns:
        One :class:`sinter.TaskStats` per task (earlier shots from the CSV included).
    """
    for name, value in (("max_shots", max_shots), ("max_errors", max_errors)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise OptionsError(f"{name}={value!r} must be a positive integer")
    workers = num_workers if num_workers is not None else (os.cpu_count() or 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise OptionsError(f"num_workers={num_workers!r} must be a positive integer")
    check_executor(executor)
    if csv_path is not None:
        pathlib.Path(csv_path).parent.mkdir(parents=True, exist_ok=True)
    if executor is not None:
        return _collect_on_executor(list(tasks), csv_path=csv_path, max_shots=max_shots, max_errors=max_errors,
                                    executor=executor)
    return sinter.collect(num_workers=workers, tasks=list(tasks), decoders=["pymatching"], max_shots=max_shots,
                          max_errors=max_errors, save_resume_filepath=csv_path, print_progress=print_progress)


@dataclasses.dataclass(frozen=True, kw_only=True)
class DecodingJob:
    """One sinter task to sample and decode on an executor (picklable).

    Attributes:
        circuit: The stim circuit, as text.
        strong_id: sinter's identity of the task (circuit, decoder, metadata).
        json_metadata: The task's metadata.
        max_shots: Shots still to take.
        max_errors: Logical errors still to find.
    """

    circuit: str
    strong_id: str
    json_metadata: Any
    max_shots: int
    max_errors: int


#: First and largest batch of shots sampled at once by :func:`decode_job`.
_FIRST_BATCH, _MAX_BATCH = 256, 65_536


def decode_job(job: DecodingJob) -> sinter.TaskStats:
    """Sample ``job``'s circuit with stim and decode it with pymatching until a budget is spent.

    Batches double from 256 shots, so a task that reaches ``max_errors`` early stops early,
    as in sinter.
    """
    import time

    import numpy as np
    import pymatching
    import stim

    start = time.monotonic()
    circuit = stim.Circuit(job.circuit)
    matcher = pymatching.Matching.from_detector_error_model(circuit.detector_error_model(decompose_errors=True))
    sampler = circuit.compile_detector_sampler()
    shots = errors = 0
    batch = _FIRST_BATCH
    while shots < job.max_shots and errors < job.max_errors:
        n = min(batch, job.max_shots - shots)
        detections, observables = sampler.sample(n, separate_observables=True)
        predictions = matcher.decode_batch(detections)
        errors += int(np.any(predictions != observables, axis=1).sum())
        shots += n
        batch = min(2 * batch, _MAX_BATCH)
    return sinter.TaskStats(strong_id=job.strong_id, decoder="pymatching", json_metadata=job.json_metadata,
                            shots=shots, errors=errors, discards=0, seconds=time.monotonic() - start)


def _collect_on_executor(tasks: list[sinter.Task], *, csv_path: str | os.PathLike[str] | None, max_shots: int,
                         max_errors: int, executor: object) -> list[sinter.TaskStats]:
    """:func:`collect_memory` with one :func:`decode_job` per task on ``executor``."""
    previous: dict[str, sinter.TaskStats] = {}
    if csv_path is not None and os.path.exists(csv_path) and os.path.getsize(csv_path) > 0:
        previous = {s.strong_id: s for s in read_stats(csv_path)}
    jobs, ids = [], []
    for task in tasks:
        if task.postselection_mask is not None or task.postselected_observables_mask is not None:
            raise OptionsError("tasks with postselection need sinter's own collection; run without an executor")
        circuit = task.circuit
        ready = sinter.Task(circuit=circuit, decoder="pymatching", json_metadata=task.json_metadata,
                            detector_error_model=circuit.detector_error_model(decompose_errors=True))
        strong_id = ready.strong_id()
        ids.append(strong_id)
        done = previous.get(strong_id)
        shots_left = max_shots - (done.shots if done else 0)
        errors_left = max_errors - (done.errors if done else 0)
        if shots_left > 0 and errors_left > 0:
            jobs.append(DecodingJob(circuit=str(circuit), strong_id=strong_id, json_metadata=task.json_metadata,
                                    max_shots=shots_left, max_errors=errors_left))
    out = dict(previous)
    handle = None
    try:
        if csv_path is not None and jobs:
            fresh = not os.path.exists(csv_path) or os.path.getsize(csv_path) == 0
            handle = open(csv_path, "a", encoding="utf-8")  # noqa: SIM115 - appended to as jobs finish
            if fresh:
                handle.write(sinter.CSV_HEADER + "\n")
                handle.flush()
        for _, stats in iter_completed(decode_job, jobs, executor=executor):
            if handle is not None:
                handle.write(stats.to_csv_line() + "\n")
                handle.flush()
            out[stats.strong_id] = out[stats.strong_id] + stats if stats.strong_id in out else stats
    finally:
        if handle is not None:
            handle.close()
    return [out[i] for i in ids if i in out]


def read_stats(*paths: str | os.PathLike[str]) -> list[sinter.TaskStats]:
    """Statistics from sinter CSV files, with rows of the same task merged."""
    return sinter.read_stats_from_csv_files(*paths)


@dataclasses.dataclass(frozen=True, kw_only=True)
class LogicalErrorPoint:
    """The logical error of one sweep point.

    Attributes:
        distance, rounds, bulk_error, interface_error: The point.
        shots, errors: Samples and logical failures.
        per_shot: ``errors / shots``.
        per_round: Logical error per round (see the module docstring).
        per_round_low, per_round_high: Per-round rate at the ends of a ~95 % binomial
            interval of the per-shot rate (Wilson score).
    """

    distance: int
    rounds: int
    bulk_error: float
    interface_error: float
    shots: int
    errors: int
    per_shot: float
    per_round: float
    per_round_low: float
    per_round_high: float


def _wilson(errors: int, shots: int, z: float = 1.96) -> tuple[float, float]:
    if shots == 0:
        return 0.0, 1.0
    p = errors / shots
    denom = 1 + z * z / shots
    centre = (p + z * z / (2 * shots)) / denom
    half = z * math.sqrt(p * (1 - p) / shots + z * z / (4 * shots * shots)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def logical_error_points(stats: Iterable[sinter.TaskStats]) -> list[LogicalErrorPoint]:
    """Per-round logical error rates of sinter statistics made by :func:`memory_tasks`.

    Sorted by bulk error, distance, interface error.
    """
    points = []
    for s in stats:
        m = s.json_metadata
        kept = s.shots - s.discards
        if kept <= 0:
            continue
        r = int(m["r"])
        lo, hi = _wilson(s.errors, kept)
        points.append(LogicalErrorPoint(
            distance=int(m["d"]), rounds=r, bulk_error=float(m["p_bulk"]), interface_error=float(m["p_int"]),
            shots=kept, errors=s.errors, per_shot=s.errors / kept,
            per_round=per_round_error(s.errors / kept, rounds=r),
            per_round_low=per_round_error(lo, rounds=r), per_round_high=per_round_error(hi, rounds=r)))
    return sorted(points, key=lambda p: (p.bulk_error, p.distance, p.interface_error))


@dataclasses.dataclass(frozen=True, kw_only=True)
class Crossing:
    """Where the curves of two distances cross (an estimate of the threshold).

    Attributes:
        small, large: The two distances.
        along: ``"interface_error"`` or ``"bulk_error"``: the swept axis.
        fixed: Value of the other error rate on these curves.
        value: Estimated crossing point on the swept axis (log-log interpolation between
            the two bracketing sweep points).
        bracket: The two sweep points between which the larger distance stops winning.
    """

    small: int
    large: int
    along: str
    fixed: float
    value: float
    bracket: tuple[float, float]


def threshold_crossings(points: Iterable[LogicalErrorPoint], *, along: str = "interface_error",
                        metric: str = "per_shot") -> list[Crossing]:
    """Crossings of consecutive distances' curves, for each value of the fixed axis.

    For distances ``d1 < d2`` on the same fixed error, the ratio ``g = log(p_d2 / p_d1)`` is
    negative below threshold and positive above; the crossing is where ``g`` first
    changes sign, interpolated linearly in ``log(x)``. Points with no logical error are
    skipped. Curves that never cross give no entry.

    ``metric="per_shot"`` (default) compares the logical error of whole experiments of
    ``d`` rounds, the usual threshold definition; ``"per_round"`` compares the per-round
    rates, which near 50 % per shot are compressed towards each other (so their
    crossing, if any, sits higher).

    Examples:
        >>> pts = [LogicalErrorPoint(distance=d, rounds=d, bulk_error=0.001, interface_error=x, shots=1,
        ...        errors=0, per_shot=p, per_round=p, per_round_low=p, per_round_high=p)
        ...        for d, x, p in [(3, 0.05, 0.01), (3, 0.2, 0.05), (5, 0.05, 0.005), (5, 0.2, 0.1)]]
        >>> c = threshold_crossings(pts)[0]
        >>> (c.small, c.large), round(c.value, 4)
        ((3, 5), 0.1)
    """
    if along not in ("interface_error", "bulk_error"):
        raise OptionsError(f"along={along!r} must be 'interface_error' or 'bulk_error'")
    if metric not in ("per_shot", "per_round"):
        raise OptionsError(f"metric={metric!r} must be 'per_shot' or 'per_round'")
    other = "bulk_error" if along == "interface_error" else "interface_error"
    curves: dict[float, dict[int, dict[float, float]]] = {}
    for p in points:
        y = getattr(p, metric)
        if y > 0:
            curves.setdefault(getattr(p, other), {}).setdefault(p.distance, {})[getattr(p, along)] = y
    out = []
    for fixed, by_d in sorted(curves.items()):
        ds = sorted(by_d)
        for d1, d2 in zip(ds, ds[1:]):
            xs = sorted(set(by_d[d1]) & set(by_d[d2]))
            g = [math.log(by_d[d2][x] / by_d[d1][x]) for x in xs]
            for i in range(len(xs) - 1):
                if g[i] < 0 <= g[i + 1]:
                    t = -g[i] / (g[i + 1] - g[i])
                    value = math.exp(math.log(xs[i]) + t * (math.log(xs[i + 1]) - math.log(xs[i])))
                    out.append(Crossing(small=d1, large=d2, along=along, fixed=fixed, value=value,
                                        bracket=(xs[i], xs[i + 1])))
                    break
    return out


def plot_logical_error(stats: Iterable[sinter.TaskStats], *, along: str = "interface_error", ax: Any = None,
                       title: str | None = None, crossings: Iterable[Crossing] = ()) -> Any:
    """Logical error per round against ``along``, one curve per distance (and fixed error).

    Uses :func:`sinter.plot_error_rate` (shaded regions: likelihood-ratio intervals).
    ``crossings`` are drawn as dotted vertical lines. Needs matplotlib. Returns the Axes.
    """
    import matplotlib.pyplot as plt

    stats = list(stats)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    key = "p_int" if along == "interface_error" else "p_bulk"
    fixed_key = "p_bulk" if along == "interface_error" else "p_int"
    several = len({s.json_metadata[fixed_key] for s in stats}) > 1
    sinter.plot_error_rate(
        ax=ax, stats=stats, x_func=lambda s: s.json_metadata[key],
        failure_units_per_shot_func=lambda s: s.json_metadata["r"],
        group_func=lambda s: {
            "label": f"d={s.json_metadata['d']}" + (f", {fixed_key}={s.json_metadata[fixed_key]:g}" if several else ""),
            "sort": (s.json_metadata[fixed_key], s.json_metadata["d"])})
    ax.loglog()
    ax.set_xlabel("interface error (two-qubit, across the seam)" if along == "interface_error"
                  else "bulk error p")
    ax.set_ylabel("logical error per round")
    ax.grid(which="both", alpha=0.3)
    for c in crossings:
        ax.axvline(c.value, linestyle=":", color="grey")
        ax.annotate(f"d={c.small}/{c.large}: {c.value:.3g}", (c.value, 0.98), xycoords=("data", "axes fraction"),
                    rotation=90, va="top", ha="right", fontsize=8, color="grey")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax
