"""Every tutorial notebook executes from top to bottom, and is committed with its outputs.

The execution test runs each notebook in quick mode (``WELINQ_TUTORIAL_QUICK=1``) through the same
function as ``python tutorials/execute.py``, which executes them in full mode and saves them.
"""

from __future__ import annotations

import importlib.util
import pathlib
import re

import nbformat
import pytest

_SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "tutorials" / "execute.py"
_spec = importlib.util.spec_from_file_location("welinq_tutorials_execute", _SCRIPT)
execute = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(execute)

TUTORIALS = execute.notebooks()
IDS = [p.name for p in TUTORIALS]
FIX = "execute it with `python tutorials/execute.py <name>` and commit it with its outputs"

# A cell that draws a figure with matplotlib (directly or through one of our drawing helpers).
_PLOTS = re.compile(
    r"\bplt\.(subplots|figure|plot|semilogx|semilogy|loglog|bar|barh|hist|scatter|imshow|matshow|errorbar|step)\("
    r"|\bnx\.draw|\bdraw_(partition|network)\("
)


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


@pytest.mark.parametrize("path", TUTORIALS, ids=IDS)
def test_tutorial_executes(path):
    nb = execute.execute_notebook(path, quick=True, save=False, timeout_s=300, mpl_backend="Agg")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors


@pytest.mark.parametrize("path", TUTORIALS, ids=IDS)
def test_tutorial_is_committed_with_outputs(path):
    nb = nbformat.read(path, as_version=4)
    cells = _code_cells(nb)
    not_run = [i for i, c in enumerate(cells) if c.get("execution_count") is None]
    assert not not_run, f"{path.name}: code cells {not_run} were not executed; {FIX}"
    counts = [c.execution_count for c in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{path.name}: cells executed out of order {counts}; {FIX}"
    errors = [o.get("ename") for c in cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, f"{path.name}: committed with errors {errors}; {FIX}"
    assert any(c.get("outputs") for c in cells), f"{path.name}: no outputs at all; {FIX}"
    for i, cell in enumerate(cells):
        if _PLOTS.search(cell.source):
            images = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
            assert images, f"{path.name}: code cell {i} plots but has no image/png output; {FIX}"


def test_there_are_tutorials():
    assert any(p.name.startswith("01_") for p in TUTORIALS)


def test_execute_script_selects_by_name():
    assert [p.name for p in execute.notebooks(["01_"])] == ["01_quickstart_qiskit.ipynb"]
    with pytest.raises(SystemExit, match="no tutorial notebook matches"):
        execute.notebooks(["no-such-notebook"])


def test_quick_mode_reaches_the_kernel(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os; print(os.environ.get('WELINQ_TUTORIAL_QUICK'))")]
    for quick, expected in ((True, "1"), (False, "None")):
        path = tmp_path / "probe.ipynb"
        nbformat.write(nb, path)
        out = execute.execute_notebook(path, quick=quick, save=False, timeout_s=60, mpl_backend="Agg")
        assert out.cells[0].outputs[0]["text"].strip() == expected
