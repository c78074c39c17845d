"""Packaging: one version everywhere, LICENSE, py.typed, and imports that load only what is used."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("welinq_core", "qiskit_welinq", "cirq_welinq")


_STEPS = [  # (statement, top-level modules it must not load), run in order in one fresh interpreter
    ("import welinq_core", {"qiskit", "qiskit_aer", "cirq", "scipy", "stim", "matplotlib", "kahypar", "tqdm"}),
    ("import qiskit_welinq", {"qiskit", "qiskit_aer", "cirq", "matplotlib", "pandas", "dask", "distributed"}),
    ("import qiskit_welinq.cli", {"qiskit", "qiskit_aer", "cirq", "pandas", "dask", "distributed"}),
    ("from qiskit_welinq import ClusterBackend", {"qiskit_aer", "cirq", "matplotlib", "tqdm", "pandas", "dask"}),
    ("from qiskit_welinq import sweep", {"pandas", "dask", "distributed", "matplotlib"}),
]


def test_one_version_for_every_package_and_the_metadata() -> None:
    import cirq_welinq
    import qiskit_welinq
    import welinq_core
    from welinq_core._version import __version__

    assert welinq_core.__version__ == qiskit_welinq.__version__ == cirq_welinq.__version__ == __version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "welinq_core._version.__version__"}
    from qiskit_welinq import ClusterBackend

    assert ClusterBackend("ideal").backend_version == __version__


def test_license_and_type_markers_ship() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == {"text": "Apache-2.0"}
    for package in PACKAGES:
        assert (ROOT / package / "py.typed").is_file()
        assert "py.typed" in project["tool"]["setuptools"]["package-data"][package]
    assert project["project"]["authors"]


def test_imports_load_only_what_is_used() -> None:
    code = "import sys\n" + "".join(
        f"{statement}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))\n" for statement, _ in _STEPS
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    for (statement, absent), line in zip(_STEPS, out.stdout.splitlines()):
        loaded = set(line.split())
        assert not absent & loaded, f"{statement!r} loads {sorted(absent & loaded)}"


def test_lazy_names_resolve_and_unknown_names_fail() -> None:
    import qiskit_welinq

    assert set(qiskit_welinq.__all__) <= set(dir(qiskit_welinq))
    for name in qiskit_welinq.__all__:
        assert getattr(qiskit_welinq, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        qiskit_welinq.Nope  # noqa: B018


def test_project_urls_point_at_the_repository_and_its_docs() -> None:
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert set(urls) == {"Homepage", "Documentation", "Source", "Issues"}
    assert all(u.startswith("https://") for u in urls.values())
    assert urls["Issues"] == urls["Source"] + "/issues"
    docs_path = urls["Documentation"].split("/blob/main/", 1)[1]
    assert (ROOT / docs_path).is_file()  # the docs page the metadata names exists in the repository
