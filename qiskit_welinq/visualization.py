"""Pictures of a distributed run: the partition drawn on the circuit, and the network.

Both functions take an optional matplotlib ``ax`` and return it, so they compose
into larger figures.

Examples:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from welinq_core import Circuit, Cluster, Operation, lower
    >>> c = Circuit(num_qubits=3, operations=[Operation(name="h", qubits=(0,)),
    ...     Operation(name="cx", qubits=(0, 1)), Operation(name="cx", qubits=(0, 2))])
    >>> prog = lower(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2), ("qpu0", "qpu1", "qpu1"))
    >>> ax = draw_partition(prog)
    >>> ax = draw_network(prog)
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import networkx as nx

from welinq_core.lowering import DistributedProgram

__all__ = ["draw_partition", "draw_network"]

_COLORS = plt.get_cmap("tab10").colors


def _qpu_colors(program: DistributedProgram) -> dict[str, Any]:
    return {name: _COLORS[i % len(_COLORS)] for i, name in enumerate(program.cluster.qpu_names)}


def draw_partition(program: DistributedProgram, *, ax: Any = None, max_columns: int = 200) -> Any:
    """Draw the circuit with each qubit's wire coloured by its QPU; remote gates are
    drawn as thick black links labelled by packet (one Bell pair per packet per hop).

    Args:
        program: A lowered program (:func:`welinq_core.lower`).
        ax: Matplotlib axes to draw on (a new figure if None).
        max_columns: Draw at most this many gate columns.
    """
    circuit = program.circuit
    colors = _qpu_colors(program)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.35 * circuit.num_qubits + 1))
    depth = [0] * circuit.num_qubits
    column_of_op: dict[int, int] = {}
    for i, op in enumerate(circuit.operations):
        if op.name == "barrier" or not op.qubits:
            continue
        lo, hi = min(op.qubits), max(op.qubits)
        col = max(depth[lo : hi + 1]) if len(op.qubits) > 1 else depth[op.qubits[0]]
        column_of_op[i] = col
        for q in range(lo, hi + 1) if len(op.qubits) > 1 else op.qubits:
            depth[q] = col + 1
    width = min(max(depth, default=1), max_columns)
    for q in range(circuit.num_qubits):
        ax.plot([-0.5, width], [q, q], color=colors[program.assignment[q]], lw=3, alpha=0.6, zorder=0)
    packet_of_op = {s.op: s.packet for s in program.steps if s.kind == "remote"}
    for i, col in column_of_op.items():
        if col >= max_columns:
            continue
        op = circuit.operations[i]
        if len(op.qubits) == 2:
            a, b = op.qubits
            remote = i in packet_of_op
            ax.plot([col, col], [a, b], color="black" if remote else "grey", lw=2.5 if remote else 1, zorder=1)
            ax.scatter([col, col], [a, b], s=18, color="black" if remote else "grey", zorder=2)
            if remote:
                ax.annotate(f"p{packet_of_op[i]}", (col, (a + b) / 2), fontsize=6, color="crimson",
                            ha="left", va="center", xytext=(2, 0), textcoords="offset points")
        else:
            ax.scatter([col], [op.qubits[0]], s=10, marker="s", color="dimgrey", zorder=2)
    for name, color in colors.items():
        ax.plot([], [], color=color, lw=3, label=name)
    ax.set_yticks(range(circuit.num_qubits), [f"q{q}" for q in range(circuit.num_qubits)], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("gate column")
    ax.set_title(f"{program.num_bell_pairs} Bell pairs, {len(program.packets)} packets (p#)", fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    return ax


def draw_network(program: DistributedProgram, *, ax: Any = None) -> Any:
    """Draw the cluster network; edge labels are the Bell pairs each link supplied,
    node labels the number of logical qubits on each QPU."""
    g = program.cluster.network()
    colors = _qpu_colors(program)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3))
    pos = nx.spring_layout(g, seed=1) if g.number_of_nodes() > 2 else {n: (i, 0) for i, n in enumerate(g)}
    pairs = program.bell_pairs_per_link()
    load = {n: sum(1 for a in program.assignment if a == n) for n in g}
    widths = [1 + 4 * pairs.get(tuple(sorted(e)), 0) / max(1, max(pairs.values(), default=1)) for e in g.edges]
    nx.draw_networkx_edges(g, pos, ax=ax, width=widths, edge_color="grey")
    nx.draw_networkx_nodes(g, pos, ax=ax, node_color=[colors[n] for n in g], node_size=900, alpha=0.8)
    nx.draw_networkx_labels(g, pos, ax=ax, labels={n: f"{n}\n{load[n]}q" for n in g}, font_size=7)
    nx.draw_networkx_edge_labels(g, pos, ax=ax, edge_labels={e: pairs.get(tuple(sorted(e)), 0) for e in g.edges},
                                 font_size=8)
    ax.set_axis_off()
    ax.set_title("Bell pairs per link", fontsize=9)
    return ax
