"""The ``welinq`` command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from qiskit import QuantumCircuit, qasm2, qasm3

from qiskit_welinq.cli import main


def _ghz_qasm(tmp_path, n=6, version=2):
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure(range(n), range(n))
    path = tmp_path / f"ghz{version}.qasm"
    path.write_text(qasm2.dumps(qc) if version == 2 else qasm3.dumps(qc))
    return path


def test_demo_prints_report_and_comparison(capsys):
    assert main(["demo", "--shots", "500"]) == 0
    out = capsys.readouterr().out
    assert "Bell pairs: 2 in total" in out and "qpu0-qpu1: 1" in out
    assert "bottleneck:" in out and "mean_pair_fidelity" in out
    p = {label: float(out.split(f"P(all equal) on {label:>7}: ")[1][:5]) for label in ("cluster", "one QPU", "ideal")}
    assert p["ideal"] == 1.0 and p["cluster"] < p["one QPU"] < 1.0  # the links cost fidelity
    assert "engine: stim on 12 qubits" in out  # a Clifford GHZ circuit runs on stim, not Aer


@pytest.mark.parametrize("version", [2, 3])
def test_run_reads_openqasm_2_and_3(tmp_path, capsys, version):
    path = _ghz_qasm(tmp_path, n=8, version=version)
    assert main(["run", str(path), "--cluster", "ideal-4-line", "--shots", "100", "--seed", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["counts"]) == {"0" * 8, "1" * 8}
    assert data["report"]["total_bell_pairs"] >= 1


def test_partition_json_fields(tmp_path, capsys):
    path = _ghz_qasm(tmp_path, n=8)
    assert main(["partition", str(path), "--qpus", "4", "--qubits-per-qpu", "2", "--topology", "line", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"ebits", "bell_pairs", "assignment", "seconds"} <= set(data)
    assert data["ebits"] == data["bell_pairs"] >= 3
    assert len(data["assignment"]) == 8


def test_partition_leaves_idle_qubits_out(tmp_path, capsys):
    # A circuit transpiled for a backend carries idle qubits: they take no data slot.
    qc = QuantumCircuit(6)
    qc.h(0)
    for q in (1, 3, 4):
        qc.cx(0, q)
    qc.barrier()
    path = tmp_path / "idle.qasm"
    path.write_text(qasm2.dumps(qc))
    assert main(["partition", str(path), "--qpus", "2", "--qubits-per-qpu", "3", "--json", "--quiet"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["idle_qubits"] == 2 and data["assignment"][2] is None and data["assignment"][5] is None
    assert sum(1 for a in data["assignment"] if a is not None) == 4
    assert data["ebits"] == data["bell_pairs"] == 1


def _qv_qasm(tmp_path, n=8):
    from qiskit import transpile
    from qiskit.circuit.library import quantum_volume

    qc = transpile(quantum_volume(n, seed=3), basis_gates=["u", "cx"], optimization_level=0)
    path = tmp_path / "qv.qasm"
    path.write_text(qasm2.dumps(qc))
    return path


def test_partition_protocols_and_objective_flags(tmp_path, capsys):
    path = _qv_qasm(tmp_path)
    args = ["partition", str(path), "--qpus", "2", "--qubits-per-qpu", "5", "--json"]
    assert main(args + ["--protocols", "telegate"]) == 0
    gate = json.loads(capsys.readouterr().out)
    assert main(args + ["--protocols", "telegate,teledata", "--objective", "fidelity"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"ebits", "bell_pairs", "assignment", "seconds"} <= set(data)
    assert data["objective"] == "fidelity" and gate["protocols"] == ["telegate"] and gate["teleports"] == 0
    assert data["ebits"] == data["bell_pairs"] < gate["ebits"]  # QV: moving qubits beats linked copies
    assert data["protocols"] == ["telegate", "teledata"] and data["teleports"] >= 1
    assert main(args + ["--protocols", "telegate,teleport"]) == 2
    assert "teledata" in capsys.readouterr().err
    assert main(args) == 0  # default: auto, the cheaper of the two
    auto = json.loads(capsys.readouterr().out)
    assert auto["ebits"] <= min(gate["ebits"], data["ebits"])
    assert sum(auto["bell_pairs_per_protocol"].values()) == auto["bell_pairs"]


def _qft_cu1_qasm(tmp_path, n=12):
    from qiskit import transpile
    from qiskit.synthesis import synth_qft_full

    qc = transpile(synth_qft_full(n, do_swaps=False), basis_gates=["u3", "cu1", "h"], optimization_level=0)
    path = tmp_path / "qft.qasm"
    path.write_text(qasm2.dumps(qc))
    assert "cu1(" in path.read_text()
    return path


def test_partition_keeps_cu1_as_a_controlled_phase(tmp_path, capsys):
    # QFT without swaps on 2 QPUs needs n/2 - 1 pairs when cu1 stays diagonal on both qubits.
    path = _qft_cu1_qasm(tmp_path)
    assert main(["partition", str(path), "--qpus", "2", "--qubits-per-qpu", "7", "--comm-qubits", "64", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ebits"] == data["bell_pairs"] == 5 and data["comm_qubits_per_qpu"] == 64


@pytest.mark.parametrize("flags, message", [
    (["--comm-qubits", "0"], "--comm-qubits 0"),
    (["--comm-qubits", "-2"], "--comm-qubits -2"),
    (["--protocols", "epr"], "auto"),
    (["--time-limit", "0"], "--time-limit 0"),
    (["--time-limit", "-1.5"], "--time-limit -1.5"),
    (["--qpus", "1"], "12 qubits"),
    (["--identity-tolerance", "-0.5"], "tolerance -0.5"),
])
def test_partition_bad_input_is_one_line_and_nonzero(tmp_path, capsys, flags, message):
    path = _qft_cu1_qasm(tmp_path)
    args = ["partition", str(path), "--qpus", "2", "--qubits-per-qpu", "7"]
    for i in range(0, len(flags), 2):
        if flags[i] in args:
            args[args.index(flags[i]) + 1] = flags[i + 1]
        else:
            args += flags[i : i + 2]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_partition_reports_the_near_identity_gates_it_drops(tmp_path, capsys):
    # cu1(1e-13) and cx-u1(1e-14)-cx are within 1e-12 of the identity; cu1(1e-3) is not.
    path = tmp_path / "tiny.qasm"
    path.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[4];\nh q[0];\ncu1(1e-13) q[0],q[2];\n'
                    'cx q[1],q[3];\nu1(1e-14) q[3];\ncx q[1],q[3];\ncu1(1e-3) q[0],q[1];\n')
    base = ["partition", str(path), "--qpus", "2", "--qubits-per-qpu", "2", "--json", "--quiet"]
    assert main(base) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["near_identity_dropped"] == 2 and data["near_identity_tolerance"] == 1e-12
    assert 0 < data["near_identity_max_distance"] <= 1e-12
    assert main(base + ["--identity-tolerance", "0"]) == 0
    kept = json.loads(capsys.readouterr().out)
    assert kept["near_identity_dropped"] == 0 and kept["ebits"] >= data["ebits"]


def test_partition_time_limit_returns_a_plan(tmp_path, capsys):
    path = _qv_qasm(tmp_path)
    assert main(["partition", str(path), "--qpus", "2", "--qubits-per-qpu", "5", "--time-limit", "1e-9", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ebits"] == data["bell_pairs"] and len(data["assignment"]) == 8
    assert data["time_limited"] is True
    assert main(["partition", str(path), "--qpus", "2", "--qubits-per-qpu", "5", "--json", "--quiet"]) == 0
    full = json.loads(capsys.readouterr().out)
    assert full["time_limited"] is False and full["ebits"] <= data["ebits"]


def test_presets_lists_names(capsys):
    assert main(["presets"]) == 0
    assert "ideal" in capsys.readouterr().out


def test_bad_cluster_file_is_a_clear_error(tmp_path, capsys):
    path = _ghz_qasm(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"qpus": []}')
    assert main(["run", str(path), "--cluster", str(bad)]) == 2
    assert "$.qpus = []: expected at least 1 item" in capsys.readouterr().err


def test_console_script_is_installed():
    exe = shutil.which("welinq")
    assert exe is not None, "pip install -e . installs the welinq command"
    out = subprocess.run([exe, "presets"], capture_output=True, text=True, check=True).stdout
    assert "ideal" in out


def test_partition_reports_restoring_windows(tmp_path, capsys):
    # Qiskit's Cuccaro adder (CDKMRippleCarryAdder): between a carry's MAJ and UMA the ladder
    # puts the carry back, so one linked copy carries the whole stretch across the cut.
    from qiskit import transpile
    from qiskit.circuit.library import CDKMRippleCarryAdder

    qc = transpile(CDKMRippleCarryAdder(3).decompose(), basis_gates=["u", "cx"], optimization_level=1)
    path = tmp_path / "cuccaro3.qasm"
    path.write_text(qasm2.dumps(qc))
    assert main(["partition", str(path), "--qpus", "2", "--qubits-per-qpu", "5", "--json", "--quiet"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["bell_pairs"] == data["ebits"] == 1
    assert data["restoring_windows"] == data["packets"] == 1
