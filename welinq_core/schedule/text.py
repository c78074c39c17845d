"""Human-readable numbers for schedules: significant digits, times with units, link lines, verdict."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from welinq_core.schedule.records import LinkUsage

__all__ = ["sig", "fmt_time", "fmt_rate", "link_line", "verdict"]


def sig(x: float, digits: int = 6) -> float:
    return float(f"{x:.{digits}g}")


def fmt_time(t: float) -> str:
    """``t`` seconds with a unit, 3 significant digits.

    Examples:
        >>> fmt_time(0.00123), fmt_time(2.5), fmt_time(0)
        ('1.23 ms', '2.5 s', '0 s')
    """
    if t == 0:
        return "0 s"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if abs(float(f"{t / scale:.3g}")) >= 1.0:
            return f"{float(f'{t / scale:.3g}'):g} {unit}"
    return f"{t:.3g} s"


def fmt_rate(r: float | None) -> str:
    return "unlimited" if r is None else f"{r:.3g} Hz"


def link_line(l: LinkUsage) -> str:
    parts = [f"{l.consumed} consumed, {l.generated} generated, {l.discarded} discarded"]
    if l.lost:
        parts[0] += f", {l.lost} lost"
    parts.append(f"rate {fmt_rate(l.rate_hz)}")
    if l.utilisation is not None:
        parts.append(f"busy {100 * l.utilisation:.0f}%")
    if l.demand_rate_hz is not None and l.consumed:
        parts.append(f"demand {fmt_rate(l.demand_rate_hz)}")
    parts.append("bank of " + str(l.capacity) if l.capacity else "on demand")
    return "; ".join(parts)


def verdict(makespan: float, latency_ms: float, local_ms: float, links: Sequence[LinkUsage]) -> tuple[str, str]:
    """``(bottleneck, sentence)``: the largest share of the shot among pair waits, latency, local work."""
    if makespan <= 0.0:
        return "none", "no time cost: every duration is zero, pairs are instantaneous and latency is zero"
    shares = {
        "network": max(0.0, makespan - latency_ms),
        "latency": max(0.0, latency_ms - local_ms),
        "local": local_ms,
    }
    bottleneck = max(shares, key=lambda k: (shares[k], k == "local"))
    pct = {k: 100.0 * v / makespan for k, v in shares.items()}
    used = [l for l in links if l.consumed and l.rate_hz is not None]
    if bottleneck == "network":
        text = (f"network-bound: waiting for Bell pairs adds {fmt_time(shares['network'])} "
                f"({pct['network']:.0f}%) to a {fmt_time(makespan)} shot")
        if used:
            worst = max(used, key=lambda l: (l.demand_rate_hz or math.inf) / l.rate_hz)  # type: ignore[operator]
            text += (f"; link {worst.link[0]}-{worst.link[1]} delivers {fmt_rate(worst.rate_hz)} but the "
                     f"program uses {worst.consumed} pair(s) in {fmt_time(local_ms)} of local work")
            if worst.demand_rate_hz is not None:
                text += f" (demand {fmt_rate(worst.demand_rate_hz)})"
    elif bottleneck == "latency":
        text = (f"latency-bound: classical messages add {fmt_time(shares['latency'])} "
                f"({pct['latency']:.0f}%) to a {fmt_time(makespan)} shot; pair waits add "
                f"{fmt_time(shares['network'])}")
    else:
        text = (f"compute-bound: the local critical path takes {fmt_time(local_ms)} "
                f"({pct['local']:.0f}%) of a {fmt_time(makespan)} shot; pair waits add "
                f"{fmt_time(shares['network'])}, classical latency {fmt_time(shares['latency'])}")
    return bottleneck, text

