"""What a link delivers to a gate: its pair after its own distillation policy, and the rate.

A link without a distillation policy delivers its pair as generated
(:attr:`~welinq_core.cluster.Link.pauli_probabilities`, herald wait included) at
``bell_pair_rate_hz``. A distilling link (``Link(distillation=..., distillation_rounds=r)``)
delivers what the schedule's :class:`~welinq_core.schedule.distillation.DistillingSource`
makes at the mean generation time T = attempt_duration / p_eff (docs/physics.md 2.6):
round k distils two pairs of round k - 1, the earlier one aged in the link memory for
the 2^(k-1) T it waits for its partner (raw pairs are made one after the other), and the
output ages for the round's gates and measurements (the slower QPU) plus one classical
exchange. On a link whose generation time is deterministic this is exactly the pair the
schedule hands out; with random attempts it is the pair at the mean waits. The delivered
rate is ``bell_pair_rate_hz / N_r`` with N_r = 2 N_(r-1) / p_k the mean raw pairs per
delivered pair (p_k the success probability of round k).

Reports (``welinq links``, the key rates, the Qiskit Target) quote these, not the raw pair.

Examples:
    >>> from welinq_core.cluster import Link
    >>> link = Link(bell_pair_fidelity=0.9, bell_pair_rate_hz=100.0, distillation="dejmps", distillation_rounds=1)
    >>> round(delivered_pair(link).fidelity, 4), round(delivered_rate_hz(link), 3)  # ideal memory
    (0.9264, 43.778)
    >>> delivered_pair(Link(bell_pair_fidelity=0.9)).fidelity
    0.9
"""

from __future__ import annotations

from welinq_core.cluster import QPU, Link
from welinq_core.physics.bell_pair import BellPair
from welinq_core.physics.distillation import distill
from welinq_core.physics.memory import age

__all__ = ["delivered_pair", "delivered_rate_hz", "distillation_levels"]


def _rounds(link: Link) -> int:
    if link.distillation is None or not link.distillation_rounds or link.bell_pair_fidelity >= 1.0:
        return 0
    return int(link.distillation_rounds)


def _aged(link: Link, pair: BellPair, duration_s: float) -> BellPair:
    mem = link.memory
    return age(pair, duration_s, duration_s, mem, mem) if mem is not None and duration_s > 0 else pair


def distillation_levels(link: Link, *, qpus: tuple[QPU, QPU] | None = None) -> tuple[tuple[BellPair, float], ...]:
    """``((pair, success_probability), ...)`` of every level: level 0 is the raw pair (success
    1), level k the output of round k as it is handed on (see the module docstring).

    ``qpus`` (the link's two QPUs) set each round's duration; None counts the local gates as
    instantaneous.
    """
    pair = BellPair.from_probabilities(link.pauli_probabilities)
    levels = [(pair, 1.0)]
    rounds = _rounds(link)
    if not rounds:
        return tuple(levels)
    attempts = link.attempts
    gen_s = 0.0 if attempts is None else attempts[0] / attempts[1]
    round_s = 0.0 if qpus is None else max(q.two_qubit_gate_duration_s + q.measurement_duration_s for q in qpus)
    for k in range(1, rounds + 1):
        earlier = _aged(link, pair, 2 ** (k - 1) * gen_s)
        result = distill(earlier, pair, protocol=link.distillation)  # type: ignore[arg-type]
        pair = _aged(link, result.pair, round_s + link.latency_s)
        levels.append((pair, result.success_probability))
    return tuple(levels)


def delivered_pair(link: Link, *, qpus: tuple[QPU, QPU] | None = None) -> BellPair:
    """The pair ``link`` hands to a gate (distilled and aged by its own policy).

    Examples:
        >>> from welinq_core.cluster import Link
        >>> round(delivered_pair(Link(bell_pair_fidelity=0.8, distillation="bbpssw", distillation_rounds=2)).fidelity, 4)
        0.8736
    """
    return distillation_levels(link, qpus=qpus)[-1][0]


def delivered_rate_hz(link: Link, *, qpus: tuple[QPU, QPU] | None = None) -> float | None:
    """Mean rate of delivered pairs: ``bell_pair_rate_hz`` over the mean raw pairs each
    delivered pair consumes (None for an unlimited rate).

    Examples:
        >>> from welinq_core.cluster import Link
        >>> delivered_rate_hz(Link(bell_pair_rate_hz=10.0))
        10.0
    """
    rate = link.bell_pair_rate_hz
    if rate is None:
        return None
    raw_per_pair = 1.0
    for _, p in distillation_levels(link, qpus=qpus)[1:]:
        raw_per_pair = 2 * raw_per_pair / p
    return rate / raw_per_pair
