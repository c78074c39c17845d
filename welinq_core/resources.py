"""How much memory this process may use, and size checks made before allocating.

The budget is the smallest of what the machine has available (``MemAvailable``),
what the process's own address-space limit leaves (``RLIMIT_AS``, set by ``ulimit
-v``), and what its control group leaves (cgroup v2 ``memory.max`` or v1
``memory.limit_in_bytes``, minus current usage). A run that would not fit is refused
before anything is allocated, with an error naming the number and the limit.

Examples:
    >>> memory_budget_bytes() > 0
    True
    >>> sorted(memory_limits())
    ['address_space', 'cgroup', 'machine']
    >>> check_shots(100)
    100
"""

from __future__ import annotations

import os
import resource
from collections import deque
from typing import TYPE_CHECKING

from welinq_core.errors import SimulationTooLargeError
from welinq_core.numbers_check import as_int

if TYPE_CHECKING:
    from welinq_core.cluster import Cluster

__all__ = [
    "memory_limits",
    "memory_budget_bytes",
    "MINIMUM_BUDGET_BYTES",
    "check_shots",
    "check_network_size",
    "route_table_bytes",
    "BYTES_PER_SHOT",
    "MAX_SHOTS",
]

_UNLIMITED = 1 << 60
#: Bytes one shot's results may take on their way back (Aer's bit strings, Python ints, counts).
BYTES_PER_SHOT = 256
#: The most shots one circuit may ask for, whatever the memory (Aer's counters are 64-bit,
#: and sampling takes time proportional to shots).
MAX_SHOTS = 10**9
#: Shot results up to this size are always allowed (1 million shots), whatever is free right now.
MIN_SHOTS_BUDGET_BYTES = 256 * 2**20
#: Fraction of the budget one stage may use.
FRACTION = 0.6


def _read_int(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as f:
            text = f.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    if text == "max":
        return _UNLIMITED
    try:
        return int(text)
    except ValueError:
        return None


def _machine_available() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def _address_space_left() -> int:
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ValueError, OSError):  # pragma: no cover - every POSIX system has RLIMIT_AS
        return _UNLIMITED
    if soft == resource.RLIM_INFINITY or soft >= _UNLIMITED:
        return _UNLIMITED
    used = 0
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    return max(0, soft - used)


def _cgroup_left() -> int:
    """Memory the process's control group still allows (v2 or v1), or unlimited."""
    best = _UNLIMITED
    try:
        with open("/proc/self/cgroup", encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    candidates: list[tuple[str, str, str]] = []  # (directory, limit file, usage file)
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        path = path.strip("/")
        if controllers == "":
            for base in (os.path.join("/sys/fs/cgroup", path), "/sys/fs/cgroup"):
                candidates.append((base, "memory.max", "memory.current"))
        elif "memory" in controllers.split(","):
            for base in (os.path.join("/sys/fs/cgroup/memory", path), "/sys/fs/cgroup/memory"):
                candidates.append((base, "memory.limit_in_bytes", "memory.usage_in_bytes"))
    for base, limit_file, usage_file in candidates:
        limit = _read_int(os.path.join(base, limit_file))
        if limit is None or limit >= _UNLIMITED:
            continue
        usage = _read_int(os.path.join(base, usage_file)) or 0
        best = min(best, max(0, limit - usage))
    return best


def memory_limits() -> dict[str, int | None]:
    """The three limits, in bytes (None where there is no limit).

    ``machine``: MemAvailable; ``address_space``: what RLIMIT_AS leaves after the
    process's current virtual size; ``cgroup``: what the control group leaves.
    """
    values = {"machine": _machine_available(), "address_space": _address_space_left(), "cgroup": _cgroup_left()}
    return {k: (None if v >= _UNLIMITED else v) for k, v in values.items()}


#: The budget never falls below this: the checks refuse runs that would exhaust memory, and an
#: estimate this small is within the error of the limits themselves (under ``ulimit -v`` the
#: address space that thread stacks and allocator arenas reserve can leave "nothing" on paper).
MINIMUM_BUDGET_BYTES = 64 << 20


def memory_budget_bytes() -> int:
    """Bytes this process may still allocate: the smallest of :func:`memory_limits`, but at
    least :data:`MINIMUM_BUDGET_BYTES`."""
    return max(MINIMUM_BUDGET_BYTES, min(v for v in memory_limits().values() if v is not None))


def check_shots(shots: object, *, name: str = "shots", budget_bytes: int | None = None, minimum: int = 1) -> int:
    """``shots`` as an int, refused (naming the limit and the fix) if its results would not fit.

    Python and NumPy integers are accepted; booleans, floats and strings are not.
    ``minimum`` is 1 for Qiskit's shots, 0 for Cirq's repetitions (Cirq allows none).

    Raises:
        OptionsError: If ``shots`` is not an integer >= 1 or exceeds :data:`MAX_SHOTS`.
        SimulationTooLargeError: If ``shots`` results would need more memory than the budget.
    """
    value = as_int(name, shots, minimum=minimum, maximum=MAX_SHOTS)
    budget = int((memory_budget_bytes() if budget_bytes is None else budget_bytes) * FRACTION)
    # Never refuse a modest run because free memory dips for a moment (other processes).
    budget = max(budget, MIN_SHOTS_BUDGET_BYTES)
    need = value * BYTES_PER_SHOT
    if need > budget:
        most = max(1, budget // BYTES_PER_SHOT)
        raise SimulationTooLargeError(
            f"{name}={value} would need about {need / 2**30:.1f} GiB for the per-shot results but only "
            f"{budget / 2**30:.1f} GiB may be used (at most {most} shots); run at most {most} shots per job "
            "and add the counts of several jobs",
            required_bytes=need,
            available_bytes=budget,
        )
    return value


def _eccentricity(cluster: Cluster) -> int:
    """Hops from the first QPU to the farthest one (half the diameter or more), by one BFS."""
    adjacency: dict[str, list[str]] = {n: [] for n in cluster.qpu_names}
    for (a, b), _ in cluster.links:
        adjacency[a].append(b)
        adjacency[b].append(a)
    start = cluster.qpu_names[0]
    depth = {start: 0}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for v in adjacency[u]:
            if v not in depth:
                depth[v] = depth[u] + 1
                queue.append(v)
    return max(depth.values())


def route_table_bytes(cluster: Cluster) -> int:
    """Estimated memory of the all-pairs route tables the partitioner and lowering build.

    Every ordered pair of QPUs gets a route (a list of QPU names) and a distance: about
    ``Q**2 * (150 + 8 * average hops)`` bytes, with the average bounded below by the
    eccentricity of the first QPU over 2.

    Examples:
        >>> from welinq_core.cluster import Cluster
        >>> route_table_bytes(Cluster.homogeneous(num_qpus=4, data_qubits_per_qpu=1, topology="line"))
        2592
    """
    q = cluster.num_qpus
    average_hops = max(1.0, _eccentricity(cluster) / 2)
    return int(q * q * (150 + 8 * average_hops))


def check_network_size(cluster: Cluster, *, budget_bytes: int | None = None) -> None:
    """Refuse a cluster whose route tables would not fit in memory (before they are built).

    Raises:
        SimulationTooLargeError: Naming the number of QPUs, the estimate and the budget.
    """
    need = route_table_bytes(cluster)
    budget = int((memory_budget_bytes() if budget_bytes is None else budget_bytes) * FRACTION)
    if need > budget:
        raise SimulationTooLargeError(
            f"cluster {cluster.name!r} has {cluster.num_qpus} QPUs: routing between every pair of them needs "
            f"about {need / 2**30:.1f} GiB but only {budget / 2**30:.1f} GiB may be used; use fewer QPUs "
            "(only as many as the circuit needs) or a network with shorter routes (all-to-all, star, grid)",
            required_bytes=need,
            available_bytes=budget,
        )
