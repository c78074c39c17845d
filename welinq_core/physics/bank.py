"""Entanglement bank: buffered Bell pairs on one link (docs/physics.md 2.8).

A link generates pairs into ``capacity`` memory slots while a slot is free; requests
(for example remote gates) consume the freshest stored pair (LIFO, which maximises
the delivered fidelity); stored pairs past the cutoff are discarded. Pairs age with
the memories' Pauli channels, applied lazily and exactly at consumption.

:func:`simulate_bank` is a seeded discrete-event sampler for any capacity;
:func:`single_slot_bank_statistics` is the closed form for one slot, Poisson
generation and requests and depolarizing memories.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import _validation as _v
from welinq_core.physics.bell_pair import BellPair
from welinq_core.physics.memory import QuantumMemory, age, cutoff_time_s

__all__ = [
    "BankStatistics",
    "SingleSlotBankStatistics",
    "simulate_bank",
    "single_slot_bank_statistics",
]

_GENERATION = ("exponential", "geometric")


@dataclasses.dataclass(frozen=True, kw_only=True)
class BankStatistics:
    """Outcome of :func:`simulate_bank`.

    Attributes:
        duration_s: Simulated time in seconds.
        cutoff_s: Effective storage cutoff used, in seconds (``math.inf`` if none).
        num_requests: Requests that arrived.
        num_hits: Requests served by a stored pair.
        hit_ratio: num_hits / num_requests (``math.nan`` without requests).
        num_generated: Pairs delivered into the bank.
        num_consumed: Pairs handed to requests (equals num_hits).
        num_discarded: Pairs dropped at the cutoff.
        num_retrieval_failures: Pairs lost because retrieval from memory failed.
        consumed_fidelities: Fidelity of each consumed pair, in request order.
        consumed_ages_s: Storage age of each consumed pair, in seconds.
        mean_consumed_fidelity: Mean of consumed_fidelities (``math.nan`` if none).

    Examples:
        >>> stats = simulate_bank(pair=BellPair.werner(0.95), generation_rate_hz=50.0,
        ...                       capacity=2, duration_s=10.0, request_rate_hz=20.0, seed=1)
        >>> stats.num_hits == stats.num_consumed == len(stats.consumed_fidelities)
        True
    """

    duration_s: float
    cutoff_s: float
    num_requests: int
    num_hits: int
    hit_ratio: float
    num_generated: int
    num_consumed: int
    num_discarded: int
    num_retrieval_failures: int
    consumed_fidelities: tuple[float, ...]
    consumed_ages_s: tuple[float, ...]
    mean_consumed_fidelity: float


@dataclasses.dataclass(frozen=True, kw_only=True)
class SingleSlotBankStatistics:
    """Closed-form stationary statistics of a one-slot bank.

    Attributes:
        hit_ratio: Probability that a request finds a stored pair.
        mean_consumed_fidelity: Mean fidelity of consumed pairs.

    Examples:
        >>> s = single_slot_bank_statistics(generation_rate_hz=50.0, request_rate_hz=20.0,
        ...                                 initial_fidelity=0.95, pair_decay_time_s=0.03,
        ...                                 cutoff_s=0.05)
        >>> round(s.hit_ratio, 3), round(s.mean_consumed_fidelity, 3)
        (0.612, 0.636)
    """

    hit_ratio: float
    mean_consumed_fidelity: float


def _effective_cutoff(pair: BellPair, cutoff_s: float | None, min_fidelity: float | None,
                      memory_a: QuantumMemory | None, memory_b: QuantumMemory | None) -> float:
    cut = math.inf
    if cutoff_s is not None:
        cut = _v.positive("cutoff_s", cutoff_s, "a cutoff in seconds > 0 or None")
    fmins = [f for f in (min_fidelity,
                         memory_a.min_fidelity if memory_a else None,
                         memory_b.min_fidelity if memory_b else None) if f is not None]
    for mem in (memory_a, memory_b):
        if mem is not None and mem.cutoff_s is not None:
            cut = min(cut, mem.cutoff_s)
    for fmin in fmins:
        cut = min(cut, cutoff_time_s(pair, fmin, memory_a, memory_b))
    return cut


def simulate_bank(
    *,
    pair: BellPair,
    generation_rate_hz: float,
    capacity: int,
    duration_s: float,
    request_rate_hz: float | None = None,
    request_times_s: Sequence[float] | None = None,
    memory_a: QuantumMemory | None = None,
    memory_b: QuantumMemory | None = None,
    cutoff_s: float | None = None,
    min_fidelity: float | None = None,
    generation: str = "exponential",
    attempt_duration_s: float | None = None,
    seed: int | np.random.Generator | None = None,
) -> BankStatistics:
    """Discrete-event simulation of an entanglement bank on one link.

    The bank starts empty at t = 0. While a slot is free the link delivers pairs with
    exponential inter-arrival times of rate ``generation_rate_hz`` (or, with
    ``generation="geometric"``, a whole number of attempts of ``attempt_duration_s``,
    each succeeding with probability rate * attempt duration). Generation pauses while
    the bank is full and restarts when a slot frees. Each request takes the freshest
    pair; retrieval succeeds with probability eta_A(age) * eta_B(age) (the memories'
    retrieval efficiencies), otherwise the pair is lost and the next freshest is tried.
    Pairs are discarded when older than the effective cutoff: the smallest of
    ``cutoff_s``, the memories' ``cutoff_s`` and the ages at which ``min_fidelity`` or
    the memories' ``min_fidelity`` is crossed.

    Args:
        pair: Pair as delivered into the bank (already aged during heralding).
        generation_rate_hz: Mean generation rate while not full, in Hz (> 0).
        capacity: Number of slots K (>= 1).
        duration_s: Simulated time in seconds (> 0).
        request_rate_hz: Poisson request rate in Hz; give this or request_times_s.
        request_times_s: Explicit request times in seconds (sorted or not).
        memory_a: Memory of side A. Defaults to None (ideal).
        memory_b: Memory of side B. Defaults to None (ideal).
        cutoff_s: Storage cutoff in seconds. Defaults to None (no explicit cutoff).
        min_fidelity: Discard pairs once their fidelity drops below this. Defaults to None.
        generation: ``"exponential"`` or ``"geometric"``. Defaults to ``"exponential"``.
        attempt_duration_s: Attempt duration for geometric generation, in seconds.
        seed: Seed or Generator; same version and inputs give the same statistics.

    Returns:
        A :class:`BankStatistics`.

    Raises:
        PhysicsParameterError: On invalid rates, capacity, duration or request spec.

    Examples:
        >>> mem = QuantumMemory.depolarizing(time_s=0.06)
        >>> s = simulate_bank(pair=BellPair.werner(0.95), generation_rate_hz=50.0, capacity=1,
        ...                   duration_s=20.0, request_rate_hz=20.0, memory_a=mem,
        ...                   memory_b=mem, cutoff_s=0.05, seed=7)
        >>> 0.5 < s.hit_ratio < 0.7
        True
    """
    if not isinstance(pair, BellPair):
        raise PhysicsParameterError(f"pair={pair!r} is not a BellPair; give a BellPair")
    rate = _v.positive("generation_rate_hz", generation_rate_hz, "a rate in Hz > 0")
    k = _v.positive_int("capacity", capacity)
    horizon = _v.positive("duration_s", duration_s, "a simulated time in seconds > 0")
    _v.choice("generation", generation, _GENERATION)
    rng = _v.as_generator(seed)
    if (request_rate_hz is None) == (request_times_s is None):
        raise PhysicsParameterError(
            "give exactly one of request_rate_hz and request_times_s (got "
            f"request_rate_hz={request_rate_hz!r}, request_times_s="
            f"{'None' if request_times_s is None else 'a sequence'})")
    if request_rate_hz is not None:
        lam = _v.positive("request_rate_hz", request_rate_hz, "a rate in Hz > 0")
        n_guess = int(lam * horizon + 10 * math.sqrt(lam * horizon) + 10)
        times = np.cumsum(rng.exponential(1.0 / lam, size=n_guess))
        while times[-1] < horizon:
            more = times[-1] + np.cumsum(rng.exponential(1.0 / lam, size=n_guess))
            times = np.concatenate([times, more])
        requests = times[times < horizon]
    else:
        requests = np.sort(np.asarray(request_times_s, dtype=float))
        if requests.size and (requests[0] < 0 or not np.all(np.isfinite(requests))):
            raise PhysicsParameterError(
                "request_times_s has negative or non-finite times; give times in [0, duration_s)")
        requests = requests[requests < horizon]
    if generation == "geometric":
        t_att = _v.positive("attempt_duration_s", attempt_duration_s, "a time in seconds > 0")
        p_att = rate * t_att
        if p_att > 1.0:
            raise PhysicsParameterError(
                f"generation_rate_hz * attempt_duration_s = {p_att!r} > 1; the attempt success "
                "probability must be <= 1, lower the rate or the attempt duration")

        def draw() -> float:
            return float(rng.geometric(p_att)) * t_att
    else:
        def draw() -> float:
            return float(rng.exponential(1.0 / rate))

    cut = _effective_cutoff(pair, cutoff_s, min_fidelity, memory_a, memory_b)
    mem_a = memory_a or QuantumMemory.ideal()
    mem_b = memory_b or QuantumMemory.ideal()
    lossy = mem_a.efficiency < 1.0 or mem_b.efficiency < 1.0 or \
        mem_a.efficiency_time_s is not None or mem_b.efficiency_time_s is not None

    stored: list[float] = []  # creation times, oldest first
    next_gen = draw()
    generated = discarded = failures = 0
    fids: list[float] = []
    ages: list[float] = []
    req_idx = 0
    n_req = len(requests)
    while True:
        next_req = requests[req_idx] if req_idx < n_req else math.inf
        next_exp = stored[0] + cut if stored else math.inf
        t = min(next_gen, next_req, next_exp)
        if t >= horizon:
            break
        if t == next_exp:
            stored.pop(0)
            discarded += 1
            if len(stored) == k - 1:
                next_gen = t + draw()
        elif t == next_gen:
            stored.append(t)
            generated += 1
            next_gen = t + draw() if len(stored) < k else math.inf
        else:
            req_idx += 1
            was_full = len(stored) == k
            while stored:
                t_c = stored.pop()
                a = float(t - t_c)
                if lossy and rng.random() >= mem_a.retrieval_efficiency(a) * \
                        mem_b.retrieval_efficiency(a):
                    failures += 1
                    continue
                fids.append(age(pair, a, a, mem_a, mem_b).fidelity)
                ages.append(float(a))
                break
            if was_full and len(stored) < k:
                next_gen = t + draw()
    hits = len(fids)
    return BankStatistics(
        duration_s=horizon, cutoff_s=cut, num_requests=n_req, num_hits=hits,
        hit_ratio=hits / n_req if n_req else math.nan, num_generated=generated,
        num_consumed=hits, num_discarded=discarded, num_retrieval_failures=failures,
        consumed_fidelities=tuple(fids), consumed_ages_s=tuple(ages),
        mean_consumed_fidelity=float(np.mean(fids)) if fids else math.nan)


def single_slot_bank_statistics(
    *,
    generation_rate_hz: float,
    request_rate_hz: float,
    initial_fidelity: float,
    pair_decay_time_s: float | None = None,
    cutoff_s: float | None = None,
) -> SingleSlotBankStatistics:
    """Closed form for a one-slot bank with Poisson generation and requests.

    With generation rate R (while empty), request rate lam, cutoff t_c and pair fidelity
    F(t) = 1/4 + (F0 - 1/4) e^{-t/tau}:

        hit ratio = E_full / (E_full + 1/R),  E_full = (1 - e^{-lam t_c}) / lam,
        E[F | hit] = 1/4 + (F0 - 1/4) (lam/g) (1 - e^{-g t_c}) / (1 - e^{-lam t_c}),
        g = lam + 1/tau.

    Args:
        generation_rate_hz: R in Hz (> 0).
        request_rate_hz: lam in Hz (> 0).
        initial_fidelity: F0 of a freshly stored pair, in [0.25, 1].
        pair_decay_time_s: tau of the pair, 1/tau = 1/tau_A + 1/tau_B for depolarizing
            memories. Defaults to None (no decay).
        cutoff_s: t_c in seconds. Defaults to None (no cutoff).

    Raises:
        PhysicsParameterError: On non-positive rates or times or a fidelity out of range.

    Examples:
        >>> s = single_slot_bank_statistics(generation_rate_hz=10.0, request_rate_hz=10.0,
        ...                                 initial_fidelity=0.9)
        >>> s.hit_ratio, s.mean_consumed_fidelity
        (0.5, 0.9)
    """
    r = _v.positive("generation_rate_hz", generation_rate_hz, "a rate in Hz > 0")
    lam = _v.positive("request_rate_hz", request_rate_hz, "a rate in Hz > 0")
    f0 = _v.real("initial_fidelity", initial_fidelity)
    if not 0.25 <= f0 <= 1.0:
        raise PhysicsParameterError(
            f"initial_fidelity={initial_fidelity!r} is outside [0.25, 1]; give a pair fidelity")
    inv_tau = 0.0 if pair_decay_time_s is None else 1.0 / _v.positive(
        "pair_decay_time_s", pair_decay_time_s, "a time in seconds > 0 or None")
    t_c = math.inf if cutoff_s is None else _v.positive(
        "cutoff_s", cutoff_s, "a cutoff in seconds > 0 or None")
    full_lam = -math.expm1(-lam * t_c) if math.isfinite(t_c) else 1.0
    e_full = full_lam / lam
    hit = e_full / (e_full + 1.0 / r)
    g = lam + inv_tau
    full_g = -math.expm1(-g * t_c) if math.isfinite(t_c) else 1.0
    mean_f = 0.25 + (f0 - 0.25) * (lam / g) * full_g / full_lam
    return SingleSlotBankStatistics(hit_ratio=hit, mean_consumed_fidelity=mean_f)
