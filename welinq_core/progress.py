"""One progress bar for long runs, quiet for short ones, in tests and in notebooks.

:func:`progress_bar` wraps an iterable of units of work (shot groups, circuits, sweep
points) in a ``tqdm`` bar that appears only after :data:`PROGRESS_AFTER_S` seconds, so
short runs print nothing. It is off when ``WELINQ_PROGRESS=0``, with
``progress=False``, and by default when the output is not a terminal (pytest's
captured output, a notebook's saved cells, a log file): there the bar would only
leave a trail of partial lines. ``progress=True`` shows it at once, anywhere.

Examples:
    >>> list(progress_bar([1, 2, 3], desc="points", unit="point", progress=False))
    [1, 2, 3]
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

__all__ = ["PROGRESS_AFTER_S", "progress_bar", "progress_enabled"]

#: Runs still going after this many seconds show their progress bar.
PROGRESS_AFTER_S = 3.0


def progress_enabled(progress: bool | None) -> bool | None:
    """``False`` when no bar may be shown, ``True`` when one is asked for, None for "if
    the run is long and the output a terminal" (``WELINQ_PROGRESS=0`` wins over all).

    Examples:
        >>> progress_enabled(False)
        False
    """
    if progress is False or os.environ.get("WELINQ_PROGRESS") == "0":
        return False
    return True if progress else None


def progress_bar(items: Iterable[Any], *, desc: str, unit: str, progress: bool | None = None,
                 total: int | None = None) -> Iterable[Any]:
    """``items``, with a bar over them when allowed (see the module docstring)."""
    enabled = progress_enabled(progress)
    if enabled is False:
        return items
    from tqdm import tqdm  # loads when a long run starts, not with the package

    # disable=None: tqdm turns itself off when the output is not a terminal
    return tqdm(items, desc=desc, unit=unit, total=total, leave=False,
                delay=0.0 if enabled else PROGRESS_AFTER_S, disable=False if enabled else None)
