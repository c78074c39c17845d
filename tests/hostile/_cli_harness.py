"""Run ``welinq`` command lines in this process under a memory limit and report what happened.

Usage: ``python _cli_harness.py CASES.json`` where the file holds a list of argument
lists. Sets RLIMIT_AS to the current virtual size plus 1 GiB after the imports (so an
input that makes welinq allocate more fails instead of taking the machine down), runs
each case with a 60 s alarm, and prints a JSON list of {code, stderr, stdout, seconds}.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import signal
import sys
import time

from qiskit_welinq.cli import main
import qiskit_welinq.backend  # noqa: F401 - imported before the limit is set
import qiskit_aer  # noqa: F401

LIMIT_EXTRA = 1 << 30


class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # noqa: ANN001, ARG001
    raise _Timeout


def _vm_size() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def run_cases(cases: list[list[str]]) -> list[dict]:
    limit = _vm_size() + LIMIT_EXTRA
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    signal.signal(signal.SIGALRM, _alarm)
    out = []
    for argv in cases:
        err, std = io.StringIO(), io.StringIO()
        t0 = time.perf_counter()
        signal.alarm(60)
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
                code = main(argv)
        except _Timeout:
            code = "timeout"
        except BaseException as exc:  # noqa: BLE001 - report anything that escaped main
            code = f"escaped {type(exc).__name__}: {exc}"
        finally:
            signal.alarm(0)
        out.append({"code": code, "stderr": err.getvalue(), "stdout": std.getvalue()[-2000:],
                    "seconds": time.perf_counter() - t0})
    return out


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    print(json.dumps(run_cases(cases)))
