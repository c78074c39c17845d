r"""Prefetch: links generate each pair ahead of its planned use, by a lead.

Without a plan a link either generates on request (a packet asks for its pairs when
its control qubit is free, and waits the whole generation time) or fills its bank
whenever a slot is free (pairs are there early, and age in memory until used). A
prefetching link follows the program's plan instead: the planned request times of
its pairs are those of the run with instantaneous pairs (the program's own timing,
classical latency included), and the link starts generating the n-th planned pair
at ``planned_n - lead`` (not before the previous generation ends, and with at most
its bank capacity of pairs waiting). With a deterministic generation time ``g`` and
a packet that opens as planned, the packet stalls ``max(0, g - lead)`` and its pair
waits ``max(0, lead - g)`` in memory before the commit (docs/physics.md, prefetch).

``lead="auto"`` uses each link's expected delivery time (:func:`expected_delivery_s`):
the pair is due, on average, when the packet opens. The schedule reports the stall
saved against requests at the packet open (no generation ahead) and the fidelity
this costs (pairs held longer in memory).

Examples:
    >>> from welinq_core.cluster import Link
    >>> expected_delivery_s(Link(bell_pair_rate_hz=100.0))
    0.01
    >>> round(expected_delivery_s(Link(attempt_duration_s=1e-3, attempt_success_probability=0.1,
    ...                                herald_latency_s=2e-3)), 12)
    0.012
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping

from welinq_core.cluster import QPU, Cluster, Link
from welinq_core.errors import OptionsError

__all__ = ["PREFETCH_CHOICES", "expected_delivery_s", "planned_requests", "prefetch_leads"]

#: Named prefetch settings (besides a lead in seconds and None).
PREFETCH_CHOICES = ("auto",)


def expected_delivery_s(link: Link, *, rounds: int = 0, qpus: tuple[QPU, QPU] | None = None) -> float:
    """Mean time from a request to a usable pair on an idle ``link``, in seconds.

    Raw pairs: ``K * attempt_duration_s + herald_latency_s`` with K geometric of mean
    1/p_eff, i.e. ``attempt_duration_s / p_eff + herald_latency_s`` (1/rate + herald).
    With ``rounds`` of recurrence distillation: ``2**rounds`` raw pairs one after the
    other, then each round's gates and measurements (the slower QPU of ``qpus``) and
    one classical exchange (``latency_s``); failed rounds are not counted. Zero for an
    unlimited rate.

    Examples:
        >>> round(expected_delivery_s(Link(bell_pair_rate_hz=10.0, length_km=0.2), rounds=2), 9)  # 1 us latency
        0.400002
    """
    attempts = link.attempts
    if attempts is None:
        return 0.0
    period, p_eff, herald = attempts
    raw = period / p_eff
    if rounds <= 0:
        return raw + herald
    round_s = 0.0 if qpus is None else max(q.two_qubit_gate_duration_s + q.measurement_duration_s for q in qpus)
    return (2 ** rounds) * raw + herald + rounds * (round_s + link.latency_s)


def prefetch_leads(
    cluster: Cluster,
    prefetch: float | str | None,
    distillation: Mapping[tuple[str, str], tuple[int, str]],
) -> dict[tuple[str, str], float]:
    """``{link: lead_s}`` of the links with a finite rate (empty for ``prefetch=None``).

    Raises:
        OptionsError: On a negative or non-finite lead, or an unknown name.
    """
    if prefetch is None:
        return {}
    qpus = {q.name: q for q in cluster.qpus}
    finite = [(key, link) for key, link in cluster.links if link.bell_pair_rate_hz is not None]
    if isinstance(prefetch, str):
        if prefetch not in PREFETCH_CHOICES:
            raise OptionsError(
                f"prefetch={prefetch!r} is unknown; give 'auto' (lead = each link's expected delivery time), "
                "a lead in seconds >= 0, or None (request at the packet open)")
        return {key: expected_delivery_s(link, rounds=distillation.get(key, (0, ""))[0],
                                         qpus=(qpus[key[0]], qpus[key[1]])) for key, link in finite}
    if (isinstance(prefetch, bool) or not isinstance(prefetch, numbers.Real) or not math.isfinite(prefetch)
            or prefetch < 0):
        raise OptionsError(
            f"prefetch={prefetch!r} must be a lead in seconds >= 0, 'auto' or None")
    return {key: float(prefetch) for key, _ in finite}


def planned_requests(requests: Iterable[tuple[float, tuple[str, str]]], leads: Mapping[tuple[str, str], float],
                     distillation: Mapping[tuple[str, str], tuple[int, str]]
                     ) -> dict[tuple[str, str], tuple[float, tuple[float, ...]]]:
    """``{link: (lead_s, planned raw-pair request times)}`` from the ``(time, link)``
    requests of the run with instantaneous pairs; a distilling link plans ``2**rounds``
    raw pairs per delivered pair; a link of ``leads`` with no request plans none.

    Examples:
        >>> planned_requests([(2.0, ("a", "b")), (1.0, ("a", "b"))], {("a", "b"): 0.5}, {})
        {('a', 'b'): (0.5, (1.0, 2.0))}
    """
    times: dict[tuple[str, str], list[float]] = {key: [] for key in leads}
    for t, key in requests:
        if key in leads:
            times[key].extend([float(t)] * (2 ** distillation.get(key, (0, ""))[0]))
    return {key: (leads[key], tuple(sorted(ts))) for key, ts in times.items()}
