"""Run Qiskit's own BackendSamplerV2 / BackendEstimatorV2 tests against ``ClusterBackend``.

Qiskit tests its reference primitives ``BackendSamplerV2`` and ``BackendEstimatorV2``
(``test/python/primitives/test_backend_{sampler,estimator}_v2.py``) on two backends,
``BasicSimulator`` and a ``GenericBackendV2``. This script takes those test files
from a Qiskit source tree (a checkout, or a bare git mirror plus a revision), writes
them with the small ``test`` package they import into a temporary directory (nothing
of Qiskit's is copied into this repository), and runs them with ``unittest`` after
substituting a :class:`~qiskit_welinq.ClusterBackend` on an ideal cluster for every
backend they create:

- the ``basic_simulator`` cases run on ``ClusterBackend("ideal")`` (2 QPUs x 8, one
  perfect link);
- the ``generic_backend_v2`` cases (a 7-qubit device in Qiskit's tests) on a
  ``ClusterBackend`` on 4 QPUs x 2 data qubits on a ring of perfect links, so that
  most two-qubit gates are remote and the tests' ``Statevector`` references of the
  transpiled (backend-wide) circuits stay small (``ideal-4-ring``'s 32 qubits would
  need 64 GiB for them);
- tests that build ``BasicSimulator()`` or ``GenericBackendV2(...)`` themselves (or
  subclass ``GenericBackendV2`` inside the test, e.g. to limit ``max_circuits``) get
  ``ClusterBackend("ideal")``.

The substitution is done on the imported test modules (their ``BACKENDS`` factories
and the ``BasicSimulator``/``GenericBackendV2`` names), so the test code itself runs
unchanged. A few tests exercise a backend the substitution cannot reach; they still
run, and are listed as not applicable with the reason (see ``NOT_APPLICABLE``).
Every test reports whether it ran ``ClusterBackend.run`` at all.

Usage::

    python benchmarks/qiskit_conformance.py /path/to/qiskit            # checkout
    python benchmarks/qiskit_conformance.py /path/to/qiskit.git --rev 2.5.2  # bare mirror
    python benchmarks/qiskit_conformance.py SRC -k test_metadata -v    # a subset

Needs ``ddt`` (``pip install ddt``; in the ``bench`` extra). Exit status 0 when no
applicable test fails, 1 otherwise, 2 on bad input.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import time
import unittest
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TEST_FILES = (
    "test/python/primitives/test_backend_sampler_v2.py",
    "test/python/primitives/test_backend_estimator_v2.py",
)
# The package the test files import (``from test import QiskitTestCase, combine`` and
# ``from ..legacy_cmaps import LAGOS_CMAP``).
SUPPORT_FILES = (
    "test/__init__.py",
    "test/utils/__init__.py",
    "test/utils/base.py",
    "test/utils/decorators.py",
    "test/utils/_canonical.py",
    "test/python/__init__.py",
    "test/python/legacy_cmaps.py",
    "test/python/primitives/__init__.py",
)
DIRECT_PRESET = "ideal"


def _ring_of_four():
    from welinq_core import Cluster

    return Cluster.homogeneous(num_qpus=4, data_qubits_per_qpu=2, topology="ring", name="ideal-4x2-ring")


BACKEND_CLUSTERS = {"basic_simulator": lambda: DIRECT_PRESET, "generic_backend_v2": _ring_of_four}

# Test method name prefix -> why the substituted backend cannot be what it tests.
NOT_APPLICABLE = {
    "test_run_level1": (
        "runs Level1BackendV2, a GenericBackendV2 subclass defined at import time that fakes "
        "meas_level=1 (kerneled IQ) data; ClusterBackend returns level-2 data only"
    ),
    "test_aer": "runs AerSimulator() explicitly (Aer, not the backend under test)",
}


class SourceError(ValueError):
    """The Qiskit source path or revision does not hold the test files."""


def _git_dir(path: Path) -> Path | None:
    if (path / ".git").exists():
        return path / ".git"
    if (path / "HEAD").is_file() and (path / "objects").is_dir():
        return path
    return None


def read_source(path: Path, rev: str | None) -> dict[str, str]:
    """The test files and their support package, from a work tree or a git directory."""
    files: dict[str, str] = {}
    git = _git_dir(path)
    use_git = rev is not None or not (path / TEST_FILES[0]).is_file()
    for name in (*SUPPORT_FILES, *TEST_FILES, "qiskit/VERSION.txt"):
        if use_git:
            if git is None:
                raise SourceError(f"{path} is neither a Qiskit checkout nor a git directory")
            proc = subprocess.run(
                ["git", f"--git-dir={git}", "show", f"{rev or 'HEAD'}:{name}"],
                capture_output=True, text=True,
            )
            if proc.returncode != 0:
                if name == "test/utils/_canonical.py":
                    continue  # optional helper, absent in some versions
                raise SourceError(f"{name} not found at revision {rev or 'HEAD'} of {git}: "
                                  f"{proc.stderr.strip()}")
            files[name] = proc.stdout
        else:
            file = path / name
            if not file.is_file():
                if name == "test/utils/_canonical.py":
                    continue
                raise SourceError(f"{file} not found; give the root of a Qiskit source tree")
            files[name] = file.read_text()
    return files


class _Recorder(unittest.TextTestResult):
    """Per-test outcome, failing subtests, and whether ClusterBackend.run was called."""

    def __init__(self, *args, calls: Counter, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcomes: dict[str, str] = {}
        self.details: dict[str, list[str]] = {}
        self.used_cluster: dict[str, bool] = {}
        self._calls = calls
        self._before = 0

    def _record(self, test, outcome, detail=None):
        tid = test.id()
        previous = self.outcomes.get(tid)
        if previous not in ("failed", "error"):
            self.outcomes[tid] = outcome
        if detail:
            self.details.setdefault(tid, []).append(detail)

    def startTest(self, test):
        self._before = self._calls["run"]
        super().startTest(test)

    def stopTest(self, test):
        self.used_cluster[test.id()] = self._calls["run"] > self._before
        super().stopTest(test)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test, "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "failed", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "skipped", reason)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            kind = "failed" if issubclass(err[0], test.failureException) else "error"
            self.outcomes[test.id()] = kind
            self.details.setdefault(test.id(), []).append(
                f"{subtest._subDescription()}: {self._exc_info_to_string(err, test)}")


def substitute_backends(module, calls: Counter) -> None:
    """Make every backend the test module creates a ClusterBackend on an ideal cluster."""
    from qiskit_welinq import ClusterBackend

    class ClusterStandIn(ClusterBackend):
        """Accepts GenericBackendV2's arguments; runs on an ideal cluster instead."""

        def __init__(self, num_qubits=None, basis_gates=None, *, coupling_map=None,
                     control_flow=False, seed=None, cluster=DIRECT_PRESET, **_ignored):
            super().__init__(cluster)
            if num_qubits is not None and num_qubits > self.num_qubits:
                raise ValueError(f"{num_qubits} qubits asked of a {self.num_qubits}-qubit stand-in")

        def run(self, run_input, **options):
            calls["run"] += 1
            return super().run(run_input, **options)

    for factory in module.BACKENDS:
        make_cluster = BACKEND_CLUSTERS[factory.__name__]
        factory._factory = lambda make_cluster=make_cluster: ClusterStandIn(cluster=make_cluster())
    module.BasicSimulator = lambda: ClusterStandIn()
    module.GenericBackendV2 = ClusterStandIn


def run(source: Path, rev: str | None, pattern: str | None, verbosity: int) -> int:
    import qiskit

    files = read_source(source, rev)
    version = files.get("qiskit/VERSION.txt", "?").strip()
    print(f"Qiskit tests from {source} @ {rev or 'work tree/HEAD'} (source version {version}); "
          f"installed qiskit {qiskit.__version__}")
    if version.split(".")[:2] != qiskit.__version__.split(".")[:2]:
        print("  note: the test files' version differs from the installed qiskit")
    calls: Counter = Counter()
    with tempfile.TemporaryDirectory(prefix="qiskit-conformance-") as tmp:
        for name, text in files.items():
            if name.startswith("test/"):
                target = Path(tmp, name)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
        # The tests import a package named ``test``; make it theirs, not the stdlib's.
        for mod in [m for m in sys.modules if m == "test" or m.startswith("test.")]:
            del sys.modules[mod]
        sys.path.insert(0, tmp)
        suite = unittest.TestSuite()
        loader = unittest.TestLoader()
        if pattern:
            loader.testNamePatterns = [f"*{pattern}*"]
        for name in TEST_FILES:
            module = importlib.import_module(name[:-3].replace("/", "."))
            substitute_backends(module, calls)
            suite.addTests(loader.loadTestsFromModule(module))
        runner = unittest.TextTestRunner(
            stream=sys.stdout, verbosity=verbosity,
            resultclass=lambda *a, **k: _Recorder(*a, calls=calls, **k),
        )
        start = time.perf_counter()
        result = runner.run(suite)
        elapsed = time.perf_counter() - start
        sys.path.remove(tmp)
    return report(result, elapsed)


def _not_applicable(test_id: str) -> str | None:
    method = test_id.rsplit(".", 1)[-1]
    for prefix, reason in NOT_APPLICABLE.items():
        if method == prefix or method.startswith(prefix + "_"):
            return reason
    return None


def report(result: _Recorder, elapsed: float) -> int:
    counts: Counter = Counter()
    failing, na = [], []
    for tid, outcome in sorted(result.outcomes.items()):
        reason = _not_applicable(tid)
        if reason is not None:
            counts["not applicable"] += 1
            na.append((tid, outcome, reason))
            continue
        counts[outcome] += 1
        if outcome in ("failed", "error"):
            failing.append(tid)
    applicable = [t for t in result.outcomes if _not_applicable(t) is None]
    used = sum(result.used_cluster.get(t, False) for t in applicable)
    print()
    print(f"== Qiskit primitives conformance of ClusterBackend ({elapsed:.0f} s) ==")
    print("  " + ", ".join(f"{k}: {counts[k]}" for k in ("passed", "failed", "error", "skipped",
                                                          "not applicable")))
    print(f"  {used} of {len(applicable)} applicable tests ran ClusterBackend.run"
          + ("; the others transpile for it and check what the primitive rejects, or mock run:"
             if used < len(applicable) else ""))
    for tid in sorted(applicable):
        if not result.used_cluster.get(tid, False):
            print(f"    {'.'.join(tid.rsplit('.', 2)[-2:])}")
    for tid in failing:
        print(f"  FAILED {tid}")
        for detail in result.details.get(tid, [])[:3]:
            last = detail.strip().splitlines()[-1] if detail.strip() else ""
            print(f"      {detail.splitlines()[0][:160]} ... {last[:200]}")
    for tid, outcome, reason in na:
        print(f"  N/A {tid} ({outcome} on its own backend): {reason}")
    return 0 if not failing else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path,
                        help="root of a Qiskit source checkout, or a (bare) git directory of one")
    parser.add_argument("--rev", default=None,
                        help="git revision to take the tests from (default: the work tree, else HEAD)")
    parser.add_argument("-k", dest="pattern", default=None,
                        help="run only tests whose name contains this (default: all)")
    parser.add_argument("-v", dest="verbosity", action="count", default=0,
                        help="unittest verbosity (default: quiet)")
    args = parser.parse_args(argv)
    try:
        import ddt  # noqa: F401
    except ImportError:
        print("error: Qiskit's tests need the 'ddt' package: pip install ddt", file=sys.stderr)
        return 2
    try:
        return run(args.source, args.rev, args.pattern, args.verbosity + 1)
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
