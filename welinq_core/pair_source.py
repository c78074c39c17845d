"""Bell-pair supply of one link, as the scheduler sees it: on demand or an entanglement bank.

:class:`PairSource` generates pairs as trains of attempts (:attr:`Link.attempts`: the
number of attempts to a herald is geometric, then the herald latency; the mean rate is
the link's ``bell_pair_rate_hz``), either only on request or ahead into buffer slots
(freshest first, discard past the cutoff, retrieval losses from the memory's efficiency).
:func:`effective_cutoff_s` is the storage age after which a pair is discarded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from welinq_core.cluster import Link
from welinq_core.errors import OptionsError
from welinq_core.physics.bell_pair import BellPair
from welinq_core.physics.memory import cutoff_time_s

__all__ = ["PairSource", "effective_cutoff_s"]


def effective_cutoff_s(link: Link) -> float:
    """Storage age after which a pair of ``link`` is discarded (``math.inf`` if never).

    The smaller of the memory's ``cutoff_s`` and the age at which a fresh pair falls
    below the memory's ``min_fidelity`` (both ends in the link's memory).

    Examples:
        >>> from welinq_core.physics import QuantumMemory
        >>> effective_cutoff_s(Link(memory=QuantumMemory.ideal(cutoff_s=1e-3)))
        0.001
        >>> effective_cutoff_s(Link())
        inf
    """
    mem = link.memory
    if mem is None:
        return math.inf
    cut = math.inf if mem.cutoff_s is None else mem.cutoff_s
    if mem.min_fidelity is not None:
        fresh = BellPair.from_probabilities(link.pauli_probabilities)
        cut = min(cut, cutoff_time_s(fresh, mem.min_fidelity, mem, mem))
    return cut


class PairSource:
    """Bell-pair generation on one link as the scheduler sees it.

    With ``capacity == 0`` the link generates on demand: requests are served one after
    the other, each by a fresh generation: K attempts of ``attempt_duration_s`` with K
    geometric (success probability p_eff per attempt), the pair usable
    ``herald_latency_s`` after the last attempt; the next generation may start as soon
    as the attempts end. With ``capacity >= 1`` it is an entanglement bank: the
    link generates whenever a slot is free (from ``start_s`` on), a request takes the
    freshest stored pair (LIFO; retrieval succeeds with probability
    eta_A(age) eta_B(age) of the link's memory, else the pair is lost and the next is
    tried), stored pairs older than ``cutoff_s`` are discarded, and a request that
    finds the bank empty takes the next generated pair. A link with rate None delivers
    instantly. Requests must come in non-decreasing time order.

    Args:
        link: The link.
        capacity: Buffer slots (0 = generate on demand).
        rng: Random generator.
        cutoff_s: Storage cutoff in seconds. Defaults to None (use
            :func:`effective_cutoff_s` of the link).
        start_s: Time at which the link starts generating. Defaults to 0.0.
        initial_pairs: Pairs the bank already holds at ``start_s`` (warm start; fresh
            at that time), at most ``capacity``. Defaults to 0.
        plan_s: Prefetch plan: the times at which the program is planned to need this
            link's pairs (sorted), used with ``lead_s``. Defaults to ().
        lead_s: Prefetch lead in seconds, or None (default: a bank fills whenever a slot
            is free). With a lead the bank starts the generation of the n-th planned pair
            no earlier than ``plan_s[n] - lead_s`` (n counts the pairs consumed and
            stored), and makes none beyond the plan; a request it cannot serve still
            starts a generation at once.

    Examples:
        >>> source = PairSource(Link(bell_pair_rate_hz=1e3), capacity=1, rng=np.random.default_rng(1))
        >>> source.take(0.0) is None, source.take(1.0) is not None
        (True, True)
        >>> source.num_generated, source.num_consumed
        (1, 1)
    """

    def __init__(
        self,
        link: Link,
        *,
        capacity: int,
        rng: np.random.Generator,
        cutoff_s: float | None = None,
        start_s: float = 0.0,
        initial_pairs: int = 0,
        plan_s: Sequence[float] = (),
        lead_s: float | None = None,
    ) -> None:
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0:
            raise OptionsError(f"capacity={capacity!r} must be an integer >= 0 (0 = on demand)")
        self.link = link
        self.rate_hz = link.bell_pair_rate_hz
        self._attempts = link.attempts
        self._next_end = start_s
        self.num_attempts = 0
        self.capacity = capacity if self.rate_hz is not None else 0
        self.cutoff_s = effective_cutoff_s(link) if cutoff_s is None else float(cutoff_s)
        self._rng = rng
        mem = link.memory
        self._memory = mem
        self._lossy = mem is not None and (mem.efficiency < 1.0 or mem.efficiency_time_s is not None)
        self.now = start_s
        self._stored: list[float] = []  # generation times, oldest first
        self._busy_until = start_s
        self.busy_intervals: list[tuple[float, float]] = []
        self.num_generated = 0
        self.num_consumed = 0
        self.num_discarded = 0
        self.num_lost = 0
        self.num_hits = 0
        self.num_misses = 0
        if (isinstance(initial_pairs, bool) or not isinstance(initial_pairs, int) or initial_pairs < 0
                or initial_pairs > self.capacity):
            raise OptionsError(
                f"initial_pairs={initial_pairs!r} must be an integer between 0 and the bank capacity "
                f"{self.capacity}; lower the warm start or raise the capacity")
        if lead_s is not None and not (isinstance(lead_s, (int, float)) and lead_s >= 0 and not math.isnan(lead_s)):
            raise OptionsError(f"lead_s={lead_s!r} must be a time >= 0 seconds, or None (no prefetch plan)")
        self.lead_s = None if lead_s is None else float(lead_s)
        self.plan_s = tuple(sorted(float(x) for x in plan_s))
        self._next_start = start_s
        self._stored = [float(start_s)] * initial_pairs
        self.num_generated = initial_pairs
        self._next = self._start_gated(start_s) if self.capacity > len(self._stored) else math.inf

    @property
    def num_stored(self) -> int:
        """Pairs in the bank now."""
        return len(self._stored)

    def _start(self, t: float) -> float:
        """Start a generation at ``t``: the time its pair is usable (its attempts end at
        ``self._next_end``)."""
        period, p_eff, herald = self._attempts  # type: ignore[misc]
        k = 1 if p_eff >= 1.0 else int(self._rng.geometric(p_eff))
        end = t + k * period
        self.busy_intervals.append((t, end))
        self._next_end = end
        self._next_start = t
        self._next_k = k
        self.num_attempts += k
        return end + herald

    def gate_s(self, t: float) -> float:
        """Earliest start, not before ``t``, of the next generation the prefetch plan
        allows (``t`` without a plan; ``math.inf`` once the plan is covered)."""
        if self.lead_s is None:
            return t
        n = self.num_consumed + len(self._stored)
        if n >= len(self.plan_s):
            return math.inf
        return max(t, self.plan_s[n] - self.lead_s)

    def _start_gated(self, t: float) -> float:
        g = self.gate_s(t)
        return math.inf if g == math.inf else self._start(g)

    def _cancel_planned(self) -> None:
        """Forget the scheduled generation that has not started yet."""
        self.busy_intervals.pop()
        self.num_attempts -= self._next_k
        self._next = math.inf

    def _resume(self, t: float) -> None:
        if self._next == math.inf and len(self._stored) < self.capacity:
            self._next = self._start_gated(max(t, self._busy_until))

    def advance(self, t: float) -> None:
        """Run generation and discards up to time ``t`` (inclusive)."""
        if t < self.now:
            raise OptionsError(f"PairSource: time {t!r} is before the current time {self.now!r}")
        while True:
            expiry = self._stored[0] + self.cutoff_s if self._stored else math.inf
            nxt = min(expiry, self._next)
            if nxt > t:
                break
            if expiry <= self._next:
                self._stored.pop(0)
                self.num_discarded += 1
                self._resume(expiry)
            else:
                g = self._next
                self._stored.append(g)
                self.num_generated += 1
                self._busy_until = self._next_end
                self._next = self._start_gated(self._next_end) if len(self._stored) < self.capacity else math.inf
        self.now = t

    def _take_stored(self, t: float) -> float | None:
        while self._stored:
            g = self._stored.pop()
            if self._lossy:
                a = t - g
                eta = self._memory.retrieval_efficiency(a) ** 2  # type: ignore[union-attr]
                if self._rng.random() >= eta:
                    self.num_lost += 1
                    self._resume(t)
                    continue
            return g  # the caller counts it consumed, then resumes generation
        return None

    def take(self, t: float) -> float | None:
        """Serve a request at ``t`` from the bank only: the generation time of the pair
        handed out, or None if the bank is empty (the request is dropped)."""
        self.advance(t)
        g = self._take_stored(t)
        if g is None:
            self.num_misses += 1
            return None
        self.num_hits += 1
        self.num_consumed += 1
        self._resume(t)
        return g

    def request(self, t: float) -> tuple[float, float, bool]:
        """Serve a request at ``t``, waiting for the next generation if the bank is empty.

        Returns:
            ``(generated_s, delivered_s, from_bank)``.
        """
        g = self.take(t)
        if g is not None:
            return g, t, True
        self.num_consumed += 1
        self.num_generated += 1
        if self.rate_hz is None:
            return t, t, False
        if self.lead_s is not None and self._next != math.inf and self._next_start > max(t, self._busy_until):
            self._cancel_planned()  # a planned generation not started yet: start it now
        if self._next == math.inf:
            self._next = self._start(max(t, self._busy_until))
        d = self._next
        self._busy_until = self._next_end
        self._next = self._start_gated(self._next_end) if self.capacity > 0 else math.inf
        return d, d, False

    def discard_held(self) -> None:
        """Count a handed-out pair that expired before use as discarded, not consumed."""
        self.num_consumed -= 1
        self.num_discarded += 1

    def busy_s(self, start_s: float, end_s: float) -> float:
        """Time spent generating within ``[start_s, end_s]``."""
        return float(sum(max(0.0, min(b, end_s) - max(a, start_s)) for a, b in self.busy_intervals))
