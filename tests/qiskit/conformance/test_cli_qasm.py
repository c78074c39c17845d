"""``welinq run`` on OpenQASM 2 files written the old way (cu1, u3, u2, cu3 from qelib1.inc)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import qiskit.qasm2

from qiskit_welinq.cli import main

sys.path.insert(0, str(Path(__file__).parent))
from _conformance_helpers import P_MIN, exact_probabilities, goodness_of_fit  # noqa: E402

QFT4 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[4];
creg c[4];
x q[0];
u3(1.1,0.3,-0.7) q[2];
h q[3];
cu1(pi/2) q[2],q[3];
cu1(pi/4) q[1],q[3];
cu1(pi/8) q[0],q[3];
h q[2];
cu1(pi/2) q[1],q[2];
cu1(pi/4) q[0],q[2];
h q[1];
cu1(pi/2) q[0],q[1];
h q[0];
u2(0.2,0.4) q[1];
cu3(0.9,0.1,0.5) q[0],q[3];
ccx q[0],q[1],q[2];
measure q -> c;
"""

BELL_REGISTERS = """OPENQASM 2.0;
include "qelib1.inc";
qreg a[2];
qreg b[2];
creg m[2];
creg n[2];
u3(pi/2,0,pi) a[0];
cx a[0],b[1];
u1(pi/4) b[1];
cx b[1],a[1];
measure a -> m;
measure b -> n;
"""


@pytest.mark.parametrize("text", [QFT4, pytest.param(BELL_REGISTERS, marks=pytest.mark.slow)],
                         ids=["qft4-cu1-u3", "registers"])
@pytest.mark.parametrize("preset", ["ideal-4-line", pytest.param("ideal", marks=pytest.mark.slow)])
def test_run_qasm2_file_matches_exact_probabilities(tmp_path, capsys, text, preset):
    path = tmp_path / "circuit.qasm"
    path.write_text(text)
    code = main(["run", str(path), "--cluster", preset, "--shots", "3000", "--seed", "7", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    qc = qiskit.qasm2.loads(text)
    assert goodness_of_fit(out["counts"], exact_probabilities(qc)) > P_MIN
    assert sum(out["counts"].values()) == 3000
    assert out["report"]["cluster"] == preset


def test_run_qasm2_on_a_noisy_preset_succeeds(tmp_path, capsys):
    path = tmp_path / "circuit.qasm"
    path.write_text(QFT4)
    assert main(["run", str(path), "--cluster", "werner-0.97", "--shots", "200", "--seed", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert sum(out["counts"].values()) == 200 and all(len(k) == 4 for k in out["counts"])
    assert out["report"]["noise"] is not None
