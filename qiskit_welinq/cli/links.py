"""``welinq links CLUSTER``: the quantum-safe view of a cluster's links and routes.

For every link (and the shortest route between QPUs without a direct link) it prints the
delivered pair's fidelity and rate (after the link's own distillation, if any, with the raw
pair noted), the BBM92 error rates in Z and X, the secret fraction
``1 - h(e_x) - f h(e_z)`` and the secret key rate in bit/s (docs/physics.md 2.9).
"""

from __future__ import annotations

import argparse
import json

from qiskit_welinq.cli._common import load_cluster
from welinq_core.physics.qkd import DEFAULT_ERROR_CORRECTION_EFFICIENCY


def register(sub) -> None:  # noqa: ANN001
    """Add the ``links`` subcommand to the parser's subcommands."""
    p = sub.add_parser("links", help="per-link and per-route fidelity, rate and BBM92 key rate")
    p.add_argument("cluster", help="preset name or cluster JSON file")
    p.add_argument("--ec-efficiency", type=float, default=DEFAULT_ERROR_CORRECTION_EFFICIENCY,
                   help="error-correction efficiency f >= 1 (default %(default)s)")
    p.add_argument("--sifting", type=float, default=0.5,
                   help="fraction of pairs whose bases agree (default %(default)s: symmetric BBM92)")
    p.add_argument("--block-size", type=int, default=None,
                   help="pairs per key block for the finite-size correction (default: asymptotic)")
    p.add_argument("--no-routes", action="store_true", help="only directly linked QPUs")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=cmd_links)


def _fmt_rate(x: float | None, unit: str) -> str:
    return "unlimited" if x is None else f"{x:.4g} {unit}"


def cmd_links(args: argparse.Namespace) -> int:
    from welinq_core.key_rates import cluster_key_rates

    cluster = load_cluster(args.cluster)
    rows = cluster_key_rates(
        cluster, include_routes=not args.no_routes, error_correction_efficiency=args.ec_efficiency,
        sifting_factor=args.sifting, block_size=args.block_size,
    )
    if args.json:
        print(json.dumps({"cluster": cluster.name, "rows": [r.to_dict() for r in rows]}))
        return 0
    size = "asymptotic" if args.block_size is None else f"finite size, {args.block_size} pairs/block"
    print(f"cluster {cluster.name!r}: BBM92 ({size}, f={args.ec_efficiency}, sifting {args.sifting})")
    for r in rows:
        e = r.estimate
        note = "" if r.kind == "link" else "  (route: swapped pairs, slowest link's rate; upper bound)"
        if r.kind == "link":
            link = cluster.link(*r.route)
            if link.distillation is not None and link.distillation_rounds and link.bell_pair_fidelity < 1.0:
                note = (f"  (distilled: {link.distillation}, {link.distillation_rounds} round(s) from raw F "
                        f"{link.bell_pair_fidelity:.4f} at {_fmt_rate(link.bell_pair_rate_hz, 'Hz')})")
        print(f"  {r.label}: F {e.fidelity:.4f}, pairs {_fmt_rate(e.pair_rate_hz, 'Hz')}, "
              f"QBER Z {100 * e.qber_z:.2f} % X {100 * e.qber_x:.2f} %, secret fraction "
              f"{e.secret_fraction:.3f}, key {_fmt_rate(e.secret_key_rate_bps, 'bit/s')}{note}")
    return 0
