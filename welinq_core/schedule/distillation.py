"""Entanglement distillation inside a run: a link hands out distilled pairs.

With a :class:`DistillationPolicy` every pair a packet requests on a link is made by
nested (recurrence) distillation of the link's raw pairs (docs/physics.md 2.6):

* round r takes two pairs of round r - 1 (raw pairs for r = 1), both aged in the link
  memory to the time the later one is ready; the bilateral gates and measurements take
  the slower QPU's two-qubit gate plus measurement time, and both nodes then exchange
  their outcomes (one fibre latency, both directions at once). The output pair keeps
  ageing during both, and the round succeeds with the protocol's probability (drawn
  per shot); on failure both pairs are discarded and the round is made again from
  fresh inputs;
* an input that would be older than the memory cutoff when the round starts is
  discarded the same way;
* the distilled pair's state and the time it is ready replace the raw pair's in the
  schedule, so the noise stage uses the distilled pair aged until it is consumed.

The raw pairs come from the link's :class:`~welinq_core.pair_source.PairSource`
(on demand or from the bank), requested in order at the packet's request time.
``rounds`` fixes the depth; ``target_fidelity`` picks the fewest rounds that reach it
from fresh pairs (ageing during distillation can leave the delivered pair below it;
the schedule records what is delivered). Not modelled: entanglement pumping, and
noise of the local distillation gates.

Examples:
    >>> policy = DistillationPolicy(protocol="dejmps", target_fidelity=0.92)
    >>> from welinq_core.physics import BellPair
    >>> policy.rounds_for(BellPair.werner(0.9))
    1
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import Any

import numpy as np

from welinq_core.cluster import QPU, Cluster, Link
from welinq_core.errors import InfeasibleError, OptionsError
from welinq_core.pair_source import PairSource
from welinq_core.physics.bell_pair import BellPair
from welinq_core.physics.distillation import DISTILLATION_PROTOCOLS, distill
from welinq_core.physics.memory import age

__all__ = ["MAX_ROUND_ATTEMPTS", "DistillationPolicy", "DistillingSource", "link_distillation"]

#: Attempts of one distillation round after which the link is declared infeasible.
MAX_ROUND_ATTEMPTS = 10_000


@dataclasses.dataclass(frozen=True, kw_only=True)
class DistillationPolicy:
    """How a link distils its pairs before handing them to a packet.

    Attributes:
        protocol: ``"dejmps"`` or ``"bbpssw"``. Defaults to ``"dejmps"``.
        rounds: Recurrence rounds (a positive integer; 2**rounds raw pairs per output
            when every round succeeds), or None to use ``target_fidelity``.
        target_fidelity: Fidelity in (0.25, 1] to reach from fresh pairs with the fewest
            rounds, or None to use ``rounds``.

    Raises:
        OptionsError: On an unknown protocol, rounds that are not a positive integer,
            a target outside (0.25, 1], or neither/both of rounds and target.
    """

    protocol: str = "dejmps"
    rounds: int | None = None
    target_fidelity: float | None = None

    def __post_init__(self) -> None:
        if self.protocol not in DISTILLATION_PROTOCOLS:
            raise OptionsError(
                f"distillation protocol={self.protocol!r} is unknown; choose one of {DISTILLATION_PROTOCOLS}")
        if (self.rounds is None) == (self.target_fidelity is None):
            raise OptionsError(
                f"distillation needs exactly one of rounds and target_fidelity (got rounds={self.rounds!r}, "
                f"target_fidelity={self.target_fidelity!r}); e.g. rounds=1 or target_fidelity=0.99")
        if self.rounds is not None and (isinstance(self.rounds, bool) or not isinstance(self.rounds, numbers.Integral)
                                        or self.rounds < 1):
            raise OptionsError(
                f"distillation rounds={self.rounds!r} is not a positive integer; give 1, 2, ...")
        if self.target_fidelity is not None:
            f = self.target_fidelity
            if isinstance(f, bool) or not isinstance(f, numbers.Real) or not 0.25 < float(f) <= 1.0:
                raise OptionsError(
                    f"distillation target_fidelity={f!r} is outside (0.25, 1]; give e.g. 0.99")

    def rounds_for(self, pair: BellPair, *, max_rounds: int = 20) -> int:
        """Rounds to apply to ``pair`` (``rounds``, or the fewest reaching the target).

        Raises:
            OptionsError: If no number of rounds up to ``max_rounds`` reaches the target;
                the message names the best reachable fidelity.

        Examples:
            >>> from welinq_core.physics import BellPair
            >>> DistillationPolicy(rounds=2).rounds_for(BellPair.werner(0.8))
            2
        """
        if self.rounds is not None:
            return int(self.rounds)
        target = float(self.target_fidelity)  # type: ignore[arg-type]
        current, best, best_rounds = pair, pair.fidelity, 0
        for r in range(max_rounds + 1):
            if current.fidelity >= target:
                return r
            if r == max_rounds:
                break
            current = distill(current, current, protocol=self.protocol).pair
            if current.fidelity > best:
                best, best_rounds = current.fidelity, r + 1
        raise OptionsError(
            f"distillation target_fidelity={target!r} is unreachable with {self.protocol} from pairs of "
            f"fidelity {pair.fidelity:.6f}: the best reachable is {best:.6f} (after {best_rounds} round(s)); "
            "lower the target or improve the link")

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return dataclasses.asdict(self)


@dataclasses.dataclass
class _Made:
    ready_s: float
    state: BellPair
    from_bank: bool


class DistillingSource:
    """A link's pair source that hands out distilled pairs (see the module docstring).

    It answers the scheduler like a :class:`~welinq_core.pair_source.PairSource`
    (``request``, ``cutoff_s``, ``discard_held`` ...), and :meth:`pair_state` gives the
    state of a handed-out pair at the time it is ready.
    """

    def __init__(self, raw: PairSource, *, link: Link, qpus: tuple[QPU, QPU], rounds: int, protocol: str,
                 rng: np.random.Generator) -> None:
        self.raw = raw
        self.link = link
        self.rounds = rounds
        self.protocol = protocol
        self._rng = rng
        self.round_time_s = max(q.two_qubit_gate_duration_s + q.measurement_duration_s for q in qpus)
        self.latency_s = link.latency_s
        self._fresh = BellPair.from_probabilities(link.pauli_probabilities)
        self._states: dict[float, BellPair] = {}
        self.num_delivered = 0
        self.num_raw_consumed = 0
        self.num_failures = 0
        self.num_discarded_distilled = 0

    def __getattr__(self, name: str) -> Any:  # capacity, num_generated, busy_s, advance ...
        return getattr(self.raw, name)

    @property
    def cutoff_s(self) -> float:
        """The memory cutoff (the distilled pair sits in the same memory)."""
        return self.raw.cutoff_s

    def _age(self, pair: BellPair, duration_s: float) -> BellPair:
        mem = self.link.memory
        return age(pair, duration_s, duration_s, mem, mem) if mem is not None and duration_s > 0 else pair

    def _raw(self, t: float) -> _Made:
        g, d, from_bank = self.raw.request(t)
        self.num_raw_consumed += 1
        return _Made(ready_s=d, state=self._age(self._fresh, d - g), from_bank=from_bank)

    def _make(self, level: int, t: float) -> _Made:
        if level == 0:
            return self._raw(t)
        for _ in range(MAX_ROUND_ATTEMPTS):
            a, b = self._make(level - 1, t), self._make(level - 1, t)
            start = max(a.ready_s, b.ready_s)
            if max(start - a.ready_s, start - b.ready_s) > self.cutoff_s:
                self.num_failures += 1  # an input expired in memory before the round
                continue
            result = distill(self._age(a.state, start - a.ready_s), self._age(b.state, start - b.ready_s),
                             protocol=self.protocol)
            wait = self.round_time_s + self.latency_s
            if self._rng.random() < result.success_probability:
                return _Made(ready_s=start + wait, state=self._age(result.pair, wait),
                             from_bank=a.from_bank and b.from_bank)
            self.num_failures += 1
        raise InfeasibleError(
            f"distillation round {level} on link {self.link!r} failed {MAX_ROUND_ATTEMPTS} times in a row; "
            "lower the rounds or the target fidelity, or improve the link")

    def request(self, t: float) -> tuple[float, float, bool]:
        """A distilled pair for a request at ``t``: ``(ready_s, ready_s, from_bank)``."""
        made = self._make(self.rounds, t)
        self.num_delivered += 1
        self._states[made.ready_s] = made.state
        return made.ready_s, made.ready_s, made.from_bank

    def pair_state(self, ready_s: float) -> BellPair:
        """State of the distilled pair handed out as ready at ``ready_s``, at that time."""
        return self._states[ready_s]

    def discard_held(self) -> None:
        """A handed-out distilled pair expired before use."""
        self.num_discarded_distilled += 1


def link_distillation(cluster: Cluster) -> dict[tuple[str, str], tuple[int, str]]:
    """``{link: (rounds, protocol)}`` of the links whose own policy distils
    (``Link(distillation=...)``); links with perfect pairs never distil.

    Examples:
        >>> c = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, link=Link(bell_pair_fidelity=0.9))
        >>> link_distillation(c), link_distillation(c.with_distillation("bbpssw", rounds=2))
        ({}, {('qpu0', 'qpu1'): (2, 'bbpssw')})
    """
    return {key: (int(link.distillation_rounds), link.distillation) for key, link in cluster.links
            if link.distillation is not None and link.distillation_rounds and link.bell_pair_fidelity < 1.0}
