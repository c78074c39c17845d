"""``welinq run --mode explicit`` runs the explicit protocol from the command line, on a QASM file
written in ``cu1``/``u3`` as QASMBench writes them, and agrees with the exact distribution."""

from __future__ import annotations

import json

import pytest
from qiskit import qasm2
from qiskit.quantum_info import Statevector

from qiskit_welinq.cli import main
from welinq_core import Cluster

QASM = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[4];
creg c[4];
h q[0];
u3(0.7,0.2,0.1) q[1];
cx q[0],q[2];
cu1(pi/3) q[1],q[3];
h q[3];
ccx q[0],q[1],q[3];
u3(1.1,0,0) q[2];
cx q[2],q[1];
measure q -> c;
"""


@pytest.mark.parametrize("mode", ["effective", "explicit"])
def test_run_mode_on_a_cu1_u3_file_matches_the_exact_distribution(tmp_path, capsys, mode):
    path = tmp_path / "user.qasm"
    path.write_text(QASM)
    cluster = tmp_path / "two_by_two.json"  # perfect links, two data qubits per QPU
    cluster.write_text(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, topology="line").to_json())
    assert main(["run", str(path), "--cluster", str(cluster), "--shots", "3000", "--seed", "4",
                 "--mode", mode, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["report"]["mode"] == mode
    assert out["report"]["total_bell_pairs"] >= 1  # the run is distributed
    qc = qasm2.load(str(path), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    exact = Statevector(qc.remove_final_measurements(inplace=False)).probabilities_dict()
    counts = out["counts"]
    tvd = 0.5 * sum(abs(counts.get(k, 0) / 3000 - exact.get(k, 0.0)) for k in set(counts) | set(exact))
    assert tvd < 0.05, (mode, tvd)


def test_run_rejects_an_unknown_mode(tmp_path, capsys):
    path = tmp_path / "user.qasm"
    path.write_text(QASM)
    assert main(["run", str(path), "--mode", "fast"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--mode" in err[0] and "fast" in err[0]
