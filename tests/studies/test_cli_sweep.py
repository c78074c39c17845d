"""``welinq sweep`` and ``welinq plot`` on an OpenQASM 2 file with legacy gates (u3, cu1)."""

from __future__ import annotations

import csv

import pytest

from qiskit_welinq.cli import main
from qiskit_welinq.cli.sweep import parse_values

QFT3 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg c[3];
u3(pi,0,pi) q[0];
h q[2];
cu1(pi/2) q[1],q[2];
h q[1];
cu1(pi/4) q[0],q[2];
cu1(pi/2) q[0],q[1];
h q[0];
measure q -> c;
"""


def test_sweep_resume_and_plot(tmp_path, capsys):
    qasm = tmp_path / "qft3.qasm"
    qasm.write_text(QFT3)
    out = tmp_path / "res.csv"
    argv = ["sweep", str(qasm), "--cluster", "ideal-4-line", "--vary", "link.bell_pair_fidelity=0.9,1",
            "--vary", "data_qubits_per_qpu=1", "--vary", "link.length_km=0:10:2", "--shots", "300",
            "--seed", "4", "--out", str(out), "--success", "001,011", "--no-progress"]
    assert main(argv) == 0
    assert "4 rows for this sweep" in capsys.readouterr().out
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 and {r["circuit"] for r in rows} == {"qft3"}
    assert all(int(r["bell_pairs"]) > 0 for r in rows)  # one qubit per QPU: every cu1 is remote
    assert main(argv) == 0
    assert "(0 new)" in capsys.readouterr().out
    figure = tmp_path / "fig.png"
    assert main(["plot", str(out), "--x", "link.length_km", "--y", "hellinger_fidelity",
                 "--group-by", "link.bell_pair_fidelity", "--logy", "--out", str(figure)]) == 0
    assert figure.read_bytes()[:4] == b"\x89PNG"
    assert main(["plot", str(out), "--x", "link.length_km", "--y", "nope", "--out", str(figure)]) == 2
    assert "'nope' is not a column" in capsys.readouterr().err


@pytest.mark.parametrize("vary, message", [
    ("link.fidelity=0.9", "valid keys are"),
    ("link.length_km=", "has no values"),
    ("link.length_km=a,b", "is not a number"),
    ("link.length_km=0:10", "START:STOP:COUNT"),
    ("link.bell_pair_fidelity=2", "sweep point"),
])
def test_bad_vary_is_one_line_and_exit_2(tmp_path, capsys, vary, message):
    qasm = tmp_path / "qft3.qasm"
    qasm.write_text(QFT3)
    assert main(["sweep", str(qasm), "--vary", vary, "--out", str(tmp_path / "r.csv")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "r.csv").exists()


def test_range_values():
    assert parse_values("link.length_km", "5:5:1") == [5.0]
    assert parse_values("link.length_km", "1:2:3") == [1.0, 1.5, 2.0]
