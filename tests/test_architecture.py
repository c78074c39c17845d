"""Layering rules: the core never imports a framework; adapters never import each other."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _loaded_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(out.stdout.split())


def test_core_imports_no_framework():
    loaded = _loaded_after_import("welinq_core, welinq_core.pipeline, welinq_core.reference")
    assert not loaded & {"qiskit", "qiskit_aer", "cirq", "cirq_google", "scipy", "matplotlib"}


@pytest.mark.parametrize("adapter, forbidden", [("qiskit_welinq", "cirq"), ("cirq_welinq", "qiskit")])
def test_adapters_do_not_import_each_other(adapter, forbidden):
    if not (ROOT / adapter / "__init__.py").exists():
        pytest.skip(f"{adapter} not present")
    loaded = _loaded_after_import(adapter)
    assert forbidden not in loaded and {"qiskit_welinq", "cirq_welinq"} - {adapter} - loaded


def test_no_top_level_core_package():
    assert not (ROOT / "core").exists()
