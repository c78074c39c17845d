"""``welinq presets``: list the cluster presets."""

from __future__ import annotations

import argparse

from welinq_core.cluster_presets import cluster_preset_description, cluster_preset_names


def register(sub) -> None:  # noqa: ANN001
    """Add the ``presets`` subcommand to the parser's subcommands."""
    p = sub.add_parser(
        "presets", help="list the cluster presets",
        description="List the cluster presets: name, then what the cluster is and where its numbers come from.",
    )
    p.set_defaults(func=cmd_presets)


def cmd_presets(args: argparse.Namespace) -> int:  # noqa: ARG001
    names = cluster_preset_names()
    width = max(map(len, names))
    for name in names:
        print(f"{name:<{width}}  {cluster_preset_description(name)}")
    return 0


