"""Write docs/cli.md from the ``welinq`` argument parser: ``python docs/generate_cli.py``.

The reference is generated, so it always shows the options and defaults the command has.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

INTRO = """\
# Command line: `welinq`

The `welinq` command runs OpenQASM circuits on clusters without writing Python. Every subcommand
prints its help with `-h`; the options and defaults below are generated from the command itself
(`python docs/generate_cli.py`). Bad input (a missing file, an unknown preset, an invalid option)
gets a short message on stderr and exit status 2.

```bash
welinq --version
welinq demo                                     # built-in circuit on a built-in cluster
welinq presets                                  # list the cluster presets
welinq run circuit.qasm --cluster ideal --shots 1000
welinq run circuit.qasm --cluster my_cluster.json --json > result.json
```

OpenQASM 2 (including `qelib1.inc` gates such as `cu1` and `u3`) and OpenQASM 3 are accepted; the
version is read from the file's header.
"""


def render() -> str:
    """The Markdown text of the CLI reference."""
    os.environ["COLUMNS"] = "100"  # argparse wraps help to the terminal width
    from qiskit_welinq.cli import build_parser

    parser = build_parser()
    parts = [INTRO, "## `welinq`\n", "```text\n" + parser.format_help().rstrip() + "\n```\n"]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, subparser in sub.choices.items():
        parts.append(f"## `welinq {name}`\n")
        parts.append("```text\n" + subparser.format_help().rstrip() + "\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    target = ROOT / "docs" / "cli.md"
    target.write_text(render())
    print(f"wrote {target}")
