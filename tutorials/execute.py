"""Execute the tutorial notebooks and save them in place, with their outputs.

Usage (from the repository root)::

    python tutorials/execute.py                 # every notebook, full mode, saved in place
    python tutorials/execute.py 01 05           # notebooks whose file name contains "01" or "05"
    python tutorials/execute.py --quick --no-save   # what the tests do: quick mode, nothing written

Full mode is what is committed: every code cell executed, plots embedded as PNG images.
Quick mode sets ``WELINQ_TUTORIAL_QUICK=1``; a notebook whose full run is heavy reads it in
its first code cell and uses fewer shots or points (the tests run every notebook that way).

The kernel imports the code of the checkout this script lives in (the repository root is
put first on ``PYTHONPATH``), and runs in a scratch directory, so a notebook that writes
files leaves nothing behind.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

TUTORIALS_DIR = pathlib.Path(__file__).resolve().parent
REPO_ROOT = TUTORIALS_DIR.parent
QUICK_ENV = "WELINQ_TUTORIAL_QUICK"
#: The inline backend is what embeds figures as ``image/png`` outputs; ``Agg`` would drop them.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def notebooks(names: list[str] | None = None) -> list[pathlib.Path]:
    """The tutorial notebooks, sorted; with ``names``, those whose file name contains one of them.

    >>> [p.name for p in notebooks(["01_"])]
    ['01_quickstart_qiskit.ipynb']
    """
    paths = sorted(TUTORIALS_DIR.glob("*.ipynb"))
    if not names:
        return paths
    chosen = [p for p in paths if any(n in p.name for n in names)]
    missing = [n for n in names if not any(n in p.name for p in paths)]
    if missing:
        raise SystemExit(f"no tutorial notebook matches {missing}; notebooks: {[p.name for p in paths]}")
    return chosen


def _kernel_environment(quick: bool, mpl_backend: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env["MPLBACKEND"] = mpl_backend
    if quick:
        env[QUICK_ENV] = "1"
    else:
        env.pop(QUICK_ENV, None)
    return env


def execute_notebook(
    path: pathlib.Path,
    *,
    quick: bool = False,
    save: bool = True,
    timeout_s: float = 1800.0,
    mpl_backend: str = INLINE_BACKEND,
) -> nbformat.NotebookNode:
    """Execute one notebook top to bottom and return it (saved in place when ``save``).

    Raises ``nbclient.exceptions.CellExecutionError`` on the first failing cell (nothing is saved).
    """
    nb = nbformat.read(path, as_version=4)
    saved_env = dict(os.environ)
    os.environ.clear()
    os.environ.update(_kernel_environment(quick, mpl_backend))  # the kernel inherits the environment
    try:
        with tempfile.TemporaryDirectory(prefix="welinq-tutorial-") as scratch:
            client = NotebookClient(
                nb,
                timeout=timeout_s,
                kernel_name="python3",
                record_timing=False,
                resources={"metadata": {"path": scratch}},
            )
            client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
    if save:
        nbformat.write(nb, path)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("names", nargs="*", help="parts of notebook file names (default: all notebooks)")
    parser.add_argument("--quick", action="store_true", help=f"set {QUICK_ENV}=1 (fewer shots/points)")
    parser.add_argument("--no-save", action="store_true", help="execute only, do not write the notebooks")
    parser.add_argument("--timeout", type=float, default=1800.0, help="per-cell timeout in seconds")
    args = parser.parse_args(argv)
    for path in notebooks(args.names):
        start = time.perf_counter()
        print(f"{path.name}: executing ({'quick' if args.quick else 'full'} mode) ...", flush=True)
        execute_notebook(path, quick=args.quick, save=not args.no_save, timeout_s=args.timeout)
        action = "executed" if args.no_save else "executed and saved"
        print(f"{path.name}: {action} in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
