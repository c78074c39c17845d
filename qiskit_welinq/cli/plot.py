"""``welinq plot results.csv --x KEY --y COLUMN``: plot a sweep's results (matplotlib)."""

from __future__ import annotations

import argparse
import io

from welinq_core.cluster_schema import read_document_file
from welinq_core.errors import OptionsError, SweepFileError

__all__ = ["register", "plot_results"]


def register(sub) -> None:  # noqa: ANN001
    """Add the ``plot`` subcommand to the parser's subcommands."""
    p = sub.add_parser("plot", help="plot a column of a sweep's CSV against a parameter")
    p.add_argument("results", metavar="results.csv", help="CSV written by welinq sweep or welinq qec")
    p.add_argument("--x", required=True, help="column on the x axis, e.g. link.length_km")
    p.add_argument("--y", required=True, help="column on the y axis, e.g. hellinger_fidelity")
    p.add_argument("--group-by", action="append", default=[], metavar="COLUMN",
                   help="one line per value of this column (repeatable); lines are always split by circuit")
    p.add_argument("--logx", action="store_true", help="logarithmic x axis")
    p.add_argument("--logy", action="store_true", help="logarithmic y axis")
    p.add_argument("--title", default=None, help="figure title (default: none)")
    p.add_argument("--out", default="figure.png", help="image file (png, pdf, svg)")
    p.set_defaults(func=cmd_plot)


def plot_results(table, *, x: str, y: str, group_by=(), logx=False, logy=False, title=None, ax=None):  # noqa: ANN001, ANN201
    """Plot ``y`` against ``x``, one line per circuit and per value of the ``group_by`` columns.

    Returns the matplotlib Axes.

    Raises:
        OptionsError: If a column is unknown, or if several rows of one line share an x
            value (another parameter varies: add it to ``group_by``).
    """
    import matplotlib.pyplot as plt

    columns = list(table.columns)
    for name, col in (("x", x), ("y", y), *(("group-by", g) for g in group_by)):
        if col not in columns:
            raise OptionsError(f"--{name} {col!r} is not a column of the results; columns are {columns}")
    keys = [c for c in ("circuit", *group_by) if c in columns]
    keys = list(dict.fromkeys(keys))
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2))
    for values, part in table.groupby(keys, sort=True):
        values = values if isinstance(values, tuple) else (values,)
        if part[x].duplicated().any():
            params = [c for c in columns if "." in c or c in ("num_qpus", "data_qubits_per_qpu",
                                                            "comm_qubits_per_qpu", "topology")]
            other = [c for c in params if c not in (x, *keys) and part[c].nunique() > 1]
            raise OptionsError(
                f"several rows share {x}={part[x][part[x].duplicated()].iloc[0]} in one line; "
                f"add --group-by for {other or 'the other varied columns'}"
            )
        part = part.sort_values(x)
        label = ", ".join(f"{v}" if k == "circuit" else f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in zip(keys, values))
        ax.plot(part[x], part[y], marker="o", label=label)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def cmd_plot(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    try:
        table = pd.read_csv(io.StringIO(read_document_file(  # a bounded read of a regular UTF-8 file
            args.results, what="results file", max_bytes=256 * 2**20, error=SweepFileError)))
    except (OSError, ValueError) as err:
        raise SweepFileError(f"cannot read {args.results!r} as a sweep CSV: {err}") from err
    ax = plot_results(table, x=args.x, y=args.y, group_by=args.group_by, logx=args.logx, logy=args.logy,
                      title=args.title)
    ax.figure.tight_layout()
    ax.figure.savefig(args.out, dpi=150)
    plt.close(ax.figure)
    print(f"wrote {args.out}")
    return 0
