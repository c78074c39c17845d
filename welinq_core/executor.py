"""Independent tasks on an executor: a ``concurrent.futures.Executor`` or a Dask ``Client``.

A job (the circuits of a ``run``, the shot groups of a circuit, the points of a
sweep) is cut into independent tasks, each a picklable function applied to a
picklable argument. Tasks run on whatever executor the user gives, as Qiskit Aer's
``executor`` option does: a ``ThreadPoolExecutor``, a ``ProcessPoolExecutor``, or a
``dask.distributed.Client`` connected to a cluster of machines (Dask is imported
only when a client is given). ``executor=None`` runs the same tasks one after the
other in this process, and so does a job of a single task whatever the executor
(handing it over would only add latency).

Every task carries its own seed, spawned from the job's seed and the task's index
(:func:`welinq_core.seeding.spawn_seeds`), so the result never depends on which
worker ran which task, in which order, or on how many workers there are.

Examples:
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor(2) as pool:
    ...     run_tasks(abs, [-1, 2, -3], executor=pool)
    [1, 2, 3]
    >>> run_tasks(abs, [-1, 2, -3])
    [1, 2, 3]
    >>> shot_groups(10, 4)
    [4, 4, 2]
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from welinq_core.errors import ExecutorUnavailableError, OptionsError

__all__ = [
    "check_executor",
    "is_dask_client",
    "iter_completed",
    "run_tasks",
    "shot_groups",
    "connect_dask",
    "describe_executor",
]

T = TypeVar("T")
R = TypeVar("R")


def is_dask_client(executor: object) -> bool:
    """Whether ``executor`` is a ``dask.distributed.Client`` (checked without importing Dask)."""
    cls = type(executor)
    return any(
        c.__name__ == "Client" and c.__module__.split(".")[0] == "distributed" for c in cls.__mro__
    )


def check_executor(executor: object, *, name: str = "executor") -> None:
    """Raise :class:`OptionsError` unless ``executor`` is None, an Executor or a Dask Client.

    Examples:
        >>> check_executor(None)
        >>> check_executor(4)
        Traceback (most recent call last):
        ...
        welinq_core.errors.OptionsError: executor=4 must be a concurrent.futures.Executor (e.g. ProcessPoolExecutor(2)), a dask.distributed.Client, or None (run in this process)
    """
    if executor is None or isinstance(executor, concurrent.futures.Executor) or is_dask_client(executor):
        return
    raise OptionsError(
        f"{name}={executor!r} must be a concurrent.futures.Executor (e.g. ProcessPoolExecutor(2)), "
        "a dask.distributed.Client, or None (run in this process)"
    )


def describe_executor(executor: object) -> str:
    """A short label (``"serial"``, ``"ProcessPoolExecutor"``, ``"dask tcp://..."``)."""
    if executor is None:
        return "serial"
    if is_dask_client(executor):
        return f"dask {getattr(executor.scheduler, 'address', '?')}"
    return type(executor).__name__


def iter_completed(
    fn: Callable[[T], R], tasks: Sequence[T], *, executor: object = None
) -> Iterator[tuple[int, R]]:
    """Yield ``(index, fn(tasks[index]))`` as tasks finish (in index order when serial).

    A single task runs in this process even when an executor is given: there is
    nothing to run in parallel with it, and handing it over (to a thread, another
    process or a Dask worker) costs more than a small task takes. The result is
    the same, since a task is a pure function of its argument. Split a large job
    into several tasks (e.g. the run option ``shots_per_task``) to spread it over
    workers.

    On an error in a task the error is raised and the tasks not yet started are cancelled.
    When the caller stops iterating early (``break``, Ctrl-C), pending tasks are cancelled too.

    Examples:
        >>> from concurrent.futures import ThreadPoolExecutor
        >>> import threading
        >>> with ThreadPoolExecutor(1) as pool:  # one task: in the calling thread
        ...     list(iter_completed(lambda _: threading.current_thread().name, ["a"], executor=pool))
        [(0, 'MainThread')]
    """
    check_executor(executor)
    if executor is None or len(tasks) <= 1:
        for i, task in enumerate(tasks):
            yield i, fn(task)
        return
    if is_dask_client(executor):
        from distributed import as_completed as dask_as_completed

        futures = [executor.submit(fn, task, pure=False) for task in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for fut in dask_as_completed(futures):
                yield index[fut.key], fut.result()
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:
                executor.cancel(pending)
        return
    futures = {executor.submit(fn, task): i for i, task in enumerate(tasks)}
    try:
        for fut in concurrent.futures.as_completed(futures):
            yield futures[fut], fut.result()
    finally:
        for fut in futures:
            fut.cancel()


def run_tasks(fn: Callable[[T], R], tasks: Iterable[T], *, executor: object = None) -> list[R]:
    """``[fn(t) for t in tasks]``, computed on ``executor`` (None: in this process), in task order."""
    tasks = list(tasks)
    out: list[Any] = [None] * len(tasks)
    for i, value in iter_completed(fn, tasks, executor=executor):
        out[i] = value
    return out


def shot_groups(shots: int, shots_per_task: int | None) -> list[int]:
    """Split ``shots`` into groups of at most ``shots_per_task`` (None: one group).

    The split depends only on these two numbers, never on the executor, so a job
    has the same tasks (and the same seeds) wherever it runs.

    Examples:
        >>> shot_groups(1000, None), shot_groups(1000, 1000), shot_groups(1000, 300)
        ([1000], [1000], [300, 300, 300, 100])
    """
    if shots_per_task is None or shots_per_task >= shots:
        return [shots]
    if not isinstance(shots_per_task, int) or isinstance(shots_per_task, bool) or shots_per_task < 1:
        raise OptionsError(f"shots_per_task={shots_per_task!r} must be a positive integer or None")
    full, rest = divmod(shots, shots_per_task)
    return [shots_per_task] * full + ([rest] if rest else [])


def connect_dask(address: str, *, timeout_s: float = 5.0) -> Any:
    """A ``dask.distributed.Client`` connected to the scheduler at ``address``; fails fast.

    Raises:
        ExecutorUnavailableError: If Dask is not installed or the scheduler does not
            answer within ``timeout_s`` seconds (the message names the address and the fix).
    """
    try:
        from distributed import Client
    except ImportError as err:
        raise ExecutorUnavailableError(
            "Dask is not installed; install it with: pip install 'welinq[dask]' "
            "(or pip install 'dask[distributed]')"
        ) from err
    try:
        return Client(address, timeout=f"{timeout_s}s")
    except (OSError, TimeoutError, ValueError) as err:
        raise ExecutorUnavailableError(
            f"cannot reach the Dask scheduler at {address!r} within {timeout_s:g} s ({type(err).__name__}); "
            "start one with `dask scheduler` (and workers with `dask worker ADDRESS`), check the "
            "address and port, or run locally with --processes N"
        ) from err


def default_worker_threads() -> None:
    """In a worker process: one simulator thread per worker (set as a pool ``initializer``).

    Several worker processes on one machine would otherwise each start as many
    threads as there are cores and slow each other down.
    """
    os.environ.setdefault("WELINQ_AER_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
