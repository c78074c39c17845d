"""The CLI on hostile input: one line on stderr, exit 2 for bad input, 1 for internal errors.

The table runs in one subprocess under a memory limit (RLIMIT_AS = its size after
imports + 1 GiB, see ``_cli_harness.py``), so an input that makes welinq allocate
gigabytes, read ``/dev/zero`` or block on a FIFO fails the test instead of taking the
machine down.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qiskit_welinq.cli import main

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

GHZ = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg c[3];
h q[0];
cx q[0], q[1];
cu1(0.3) q[1], q[2];
u3(0.1, 0.2, 0.3) q[2];
measure q -> c;
"""
TWO_QPUS = {"qpus": [{"name": "a", "num_data_qubits": 8}, {"name": "b", "num_data_qubits": 8}],
            "links": [{"qpus": ["a", "b"], "bell_pair_fidelity": 0.99}]}


def _files(tmp: Path) -> dict[str, str]:
    files: dict[str, bytes | str] = {
        "ghz.qasm": GHZ,
        "ghz3.qasm": GHZ.replace("OPENQASM 2.0;\ninclude \"qelib1.inc\";", 'OPENQASM 3.0;\ninclude "stdgates.inc";')
        .replace("qreg q[3];\ncreg c[3];", "qubit[3] q;\nbit[3] c;").replace("cu1(0.3)", "cp(0.3)")
        .replace("u3(0.1, 0.2, 0.3)", "U(0.1, 0.2, 0.3)").replace("measure q -> c;", "c = measure q;"),
        "binary.qasm": bytes(range(256)) * 4,
        "latin1.qasm": ("// caf\u00e9\n" + GHZ).encode("latin-1"),
        "empty.qasm": "",
        "comments.qasm": "// nothing here\n\n   \n",
        "huge.qasm": "OPENQASM 2.0;\nqreg q[100000000];\ncreg c[2];\nmeasure q[0] -> c[0];\n",
        "hugebits.qasm": "OPENQASM 2.0;\nqreg q[2];\ncreg c[100000000];\n",
        "wide.qasm": GHZ.replace("qreg q[3];", "qreg q[20];"),
        "syntax.qasm": "OPENQASM 2.0;\nqreg q[2;\n",
        "unknowngate.qasm": "OPENQASM 2.0;\nqreg q[2];\ncreg c[2];\nfrobnicate q[0];\nmeasure q -> c;\n",
        "nomeasure.qasm": "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nh q[0];\n",
        "bad3.qasm": "OPENQASM 3.0;\nqubit[2] q;\nwhile (true) {\n",
        "nul.qasm": "OPENQASM 2.0;\x00\x00qreg q[2];",
        "deepexpr.qasm": "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\ncreg c[1];\nrx(" + "(" * 5000 + "1"
        + ")" * 5000 + ") q[0];\nmeasure q -> c;\n",
        "cluster.json": json.dumps(TWO_QPUS),
        "cluster12.json": json.dumps({"qpus": [{"name": "a", "num_data_qubits": 6}, {"name": "b", "num_data_qubits": 6}],
                                      "links": [{"qpus": ["a", "b"], "bell_pair_fidelity": 0.98}]}),
        "cluster8.json": json.dumps({"qpus": [{"name": "a", "num_data_qubits": 4}, {"name": "b", "num_data_qubits": 4}],
                                     "links": [{"qpus": ["a", "b"]}]}),
        "binary.json": bytes(range(256)),
        "malformed.json": '{"qpus": [{"name": "a", "num_data_qubits": 2},]}',
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "deepobj.json": '{"qpus": ' + "[" * 40 + "]" * 40 + "}",
        "boolfid.json": json.dumps({**TWO_QPUS, "links": [{"qpus": ["a", "b"], "bell_pair_fidelity": True}]}),
        "version.json": json.dumps({**TWO_QPUS, "welinq_cluster_version": 999}),
        "escape.json": json.dumps({"qpus": [{"name": "\x1b[2J\x1b[31mevil", "num_data_qubits": 4}]}),
        "huge_qubits.json": json.dumps({"qpus": [{"name": "a", "num_data_qubits": 10**9}]}),
        "many_qubits.json": json.dumps({"qpus": [{"name": f"q{i}", "num_data_qubits": 10**6} for i in range(11)],
                                        "links": [{"qpus": [f"q{i}", f"q{i + 1}"]} for i in range(10)]}),
        "nan.json": json.dumps({**TWO_QPUS, "links": [{"qpus": ["a", "b"], "bell_pair_fidelity": 0.9,
                                                     "bell_pair_probabilities": [float("nan"), 0.1, 0, 0]}]}),
        "duplicate_link.json": json.dumps({**TWO_QPUS, "links": TWO_QPUS["links"] * 2}),
        "unknown_key.json": json.dumps({"qpus": [{"name": "a", "num_data_qbits": 4}]}),
        "list.json": "[1, 2, 3]",
        "empty.json": "",
    }
    out = {}
    for name, content in files.items():
        path = tmp / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        out[name] = str(path)
    big = tmp / "big.json"
    with open(big, "wb") as f:
        f.truncate(20 * 2**20)  # sparse: nothing on disk, nothing read
    out["big.json"] = str(big)
    fifo = tmp / "fifo"
    os.mkfifo(fifo)
    out["fifo"] = str(fifo)
    return out


# (name, argv with {file} placeholders, expected exit status, a fragment the one line must contain)
CASES = [
    ("binary circuit", ["run", "{binary.qasm}"], 2, "is not UTF-8 text"),
    ("latin-1 circuit", ["run", "{latin1.qasm}"], 2, "is not UTF-8 text"),
    ("empty circuit", ["run", "{empty.qasm}"], 2, "is empty"),
    ("comment-only circuit", ["run", "{comments.qasm}"], 2, "is empty"),
    ("FIFO circuit", ["run", "{fifo}"], 2, "named pipe"),
    ("/dev/zero circuit", ["run", "/dev/zero"], 2, "is a device"),
    ("directory circuit", ["run", "{dir}"], 2, "is a directory"),
    ("missing circuit", ["run", "{dir}/nope.qasm"], 2, "No such file"),
    ("10^8-qubit circuit", ["run", "{huge.qasm}"], 2, "declares 100000000 qubits"),
    ("10^8 classical bits", ["run", "{hugebits.qasm}"], 2, "100000000 classical bits"),
    ("circuit wider than the cluster", ["run", "{wide.qasm}", "--cluster", "ideal"], 2, "more than the cluster's 16 data qubits"),
    ("QASM syntax error", ["run", "{syntax.qasm}"], 2, "cannot parse"),
    ("unknown gate", ["run", "{unknowngate.qasm}"], 2, "frobnicate"),
    ("no measurement", ["run", "{nomeasure.qasm}"], 2, "measures nothing"),
    ("bad OpenQASM 3", ["run", "{bad3.qasm}"], 2, "cannot parse"),
    ("NUL bytes", ["run", "{nul.qasm}"], 2, "cannot parse"),
    ("seed 10**23", ["run", "{ghz.qasm}", "--seed", str(10**23)], 2, "is outside [0, 2**63 - 1]"),
    ("seed -1", ["run", "{ghz.qasm}", "--seed", "-1"], 2, "--seed=-1 is outside"),
    ("seed '10**23'", ["run", "{ghz.qasm}", "--seed", "10**23"], 2, "invalid int value"),
    ("seed abc", ["run", "{ghz.qasm}", "--seed", "abc"], 2, "invalid int value"),
    ("top -1", ["run", "{ghz.qasm}", "--top", "-1"], 2, "-1 must be >= 0"),
    ("shots 0", ["run", "{ghz.qasm}", "--shots", "0"], 2, "0 must be >= 1"),
    ("shots -5", ["run", "{ghz.qasm}", "--shots", "-5"], 2, "must be >= 1"),
    ("shots 10**8", ["run", "{ghz.qasm}", "--shots", str(10**8)], 2, "run at most"),
    ("shots 10**12", ["run", "{ghz.qasm}", "--shots", str(10**12)], 2, "the limit of this welinq"),
    ("shots abc", ["run", "{ghz.qasm}", "--shots", "abc"], 2, "is not an integer"),
    ("unknown preset", ["run", "{ghz.qasm}", "--cluster", "nope"], 2, "presets are"),
    ("misspelt preset", ["run", "{ghz.qasm}", "--cluster", "idael"], 2, "did you mean 'ideal'"),
    ("binary cluster", ["run", "{ghz.qasm}", "--cluster", "{binary.json}"], 2, "is not UTF-8 text"),
    ("malformed cluster", ["run", "{ghz.qasm}", "--cluster", "{malformed.json}"], 2, "not valid JSON"),
    ("deeply nested cluster", ["run", "{ghz.qasm}", "--cluster", "{deep.json}"], 2, "100000 deep"),
    ("nested cluster value", ["run", "{ghz.qasm}", "--cluster", "{deepobj.json}"], 2, "41 deep"),
    ("/dev/zero cluster", ["run", "{ghz.qasm}", "--cluster", "/dev/zero"], 2, "is a device"),
    ("FIFO cluster", ["run", "{ghz.qasm}", "--cluster", "{fifo}"], 2, "named pipe"),
    ("20 MB cluster", ["run", "{ghz.qasm}", "--cluster", "{big.json}"], 2, "more than the limit of 16777216"),
    ("empty cluster file", ["run", "{ghz.qasm}", "--cluster", "{empty.json}"], 2, "not valid JSON"),
    ("boolean fidelity", ["run", "{ghz.qasm}", "--cluster", "{boolfid.json}"], 2, "got a boolean"),
    ("newer version", ["run", "{ghz.qasm}", "--cluster", "{version.json}"], 2, "reads version 1"),
    ("escape codes in a name", ["run", "{ghz.qasm}", "--cluster", "{escape.json}"], 2, "printable characters"),
    ("10^9 data qubits", ["run", "{ghz.qasm}", "--cluster", "{huge_qubits.json}"], 2, "the limit of this welinq"),
    ("11 million data qubits", ["run", "{ghz.qasm}", "--cluster", "{many_qubits.json}"], 2, "more than the limit of"),
    ("NaN Bell probability", ["run", "{ghz.qasm}", "--cluster", "{nan.json}"], 2, "in the link between"),
    ("duplicate link", ["run", "{ghz.qasm}", "--cluster", "{duplicate_link.json}"], 2, "a second link"),
    ("misspelt key", ["run", "{ghz.qasm}", "--cluster", "{unknown_key.json}"], 2, "did you mean 'num_data_qubits'"),
    ("cluster is a list", ["run", "{ghz.qasm}", "--cluster", "{list.json}"], 2, "expected an object"),
    ("cluster JSON text", ["run", "{ghz.qasm}", "--cluster", '{"qpus": 5}'], 2, "$.qpus = 5"),
    ("partition 3000 QPUs", ["partition", "{ghz.qasm}", "--qpus", "3000", "--qubits-per-qpu", "1"], 2,
     "more than the limit of 200000"),
    ("partition 3000 on a line", ["partition", "{ghz.qasm}", "--qpus", "3000", "--qubits-per-qpu", "1",
                                  "--topology", "line"], 2, "routing between every pair"),
    ("partition seed -1", ["partition", "{ghz.qasm}", "--qpus", "2", "--qubits-per-qpu", "2", "--seed", "-1"], 2,
     "--seed=-1"),
    ("partition 0 QPUs", ["partition", "{ghz.qasm}", "--qpus", "0", "--qubits-per-qpu", "2"], 2, "must be >= 1"),
    ("partition qubits abc", ["partition", "{ghz.qasm}", "--qpus", "2", "--qubits-per-qpu", "abc"], 2, "not an integer"),
    ("partition torus", ["partition", "{ghz.qasm}", "--qpus", "2", "--qubits-per-qpu", "2", "--topology", "torus"], 2,
     "topology='torus' is unknown"),
    ("partition objective", ["partition", "{ghz.qasm}", "--qpus", "2", "--qubits-per-qpu", "2", "--objective", "x"],
     2, "objective='x'"),
    ("partition protocols", ["partition", "{ghz.qasm}", "--qpus", "2", "--qubits-per-qpu", "2", "--protocols",
                             "carrier-pigeon"], 2, "carrier-pigeon"),
    ("partition too small", ["partition", "{ghz.qasm}", "--qpus", "1", "--qubits-per-qpu", "2"], 2, "3 qubits"),
    ("demo unknown cluster", ["demo", "--cluster", "nope"], 2, "or give a path to a cluster JSON file"),
    ("demo seed -1", ["demo", "--seed", "-1"], 2, "--seed=-1"),
    # The demo's GHZ circuit takes as many qubits as a smaller cluster holds (up to 12).
    ("demo on a cluster of 8 qubits", ["demo", "--cluster", "{cluster8.json}", "--shots", "10"], 0, ""),
    ("plot /dev/zero", ["plot", "/dev/zero", "--x", "a", "--y", "b"], 2, "is a device"),
    ("plot a FIFO", ["plot", "{fifo}", "--x", "a", "--y", "b"], 2, "named pipe"),
    ("plot a binary file", ["plot", "{binary.json}", "--x", "a", "--y", "b"], 2, "not UTF-8"),
    ("sweep /dev/zero", ["sweep", "/dev/zero", "--vary", "link.bell_pair_fidelity=0.9"], 2, "is a device"),
    ("sweep unknown key", ["sweep", "{ghz.qasm}", "--vary", "bogus=1,2"], 2, "vary key 'bogus' is unknown"),
    ("qec bad distances", ["qec", "--distances", "abc"], 2, "--distances 'abc'"),
    ("no subcommand", [], 2, "required"),
    ("unknown subcommand", ["teleport"], 2, "invalid choice"),
    # Good input still works (the control group).
    ("valid run", ["run", "{ghz.qasm}", "--shots", "64", "--seed", "3"], 0, None),
    ("valid OpenQASM 3", ["run", "{ghz3.qasm}", "--shots", "64", "--seed", "3", "--cluster", "{cluster.json}"], 0, None),
    ("valid run, top 0", ["run", "{ghz.qasm}", "--cluster", "ideal", "--shots", "16", "--top", "0", "--json"], 0, None),
    ("valid partition", ["partition", "{ghz.qasm}", "--qpus", "2", "--qubits-per-qpu", "2", "--json"], 0, None),
    ("deeply nested expression", ["run", "{deepexpr.qasm}", "--shots", "16"], 0, None),
    ("demo with a file", ["demo", "--cluster", "{cluster12.json}", "--shots", "50"], 0, None),
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    files = {**_files(tmp), "dir": str(tmp)}
    argvs = []
    for _, argv, _, _ in CASES:
        argvs.append([re.sub(r"\{([\w.]+)\}", lambda m: files[m.group(1)], a) for a in argv])
    cases_file = tmp / "cases.json"
    cases_file.write_text(json.dumps(argvs))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WELINQ_DEBUG": "0", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(HERE / "_cli_harness.py"), str(cases_file)], capture_output=True,
                          text=True, env=env, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(zip((c[0] for c in CASES), json.loads(proc.stdout)))


def test_the_table_has_at_least_40_malformed_inputs():
    assert sum(1 for c in CASES if c[2] != 0) >= 40


@pytest.mark.parametrize("name, argv, code, fragment", CASES, ids=[c[0] for c in CASES])
def test_cli_input(outcomes, name, argv, code, fragment):
    got = outcomes[name]
    assert got["code"] == code, got
    err = got["stderr"]
    assert "Traceback" not in err and "\x1b" not in err and "\x1b" not in got["stdout"]
    if code == 0:
        assert err == "" or "welinq: error" not in err
        return
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert fragment in lines[0], lines[0]
    assert "0: 1024" not in got["stdout"]


def test_valid_run_prints_counts(outcomes):
    out = outcomes["valid run"]["stdout"]
    assert "counts:" in out and "000" in out
    assert json.loads(outcomes["valid run, top 0"]["stdout"])["counts"]


def test_an_internal_error_is_one_line_with_a_hint_and_exit_1(monkeypatch, capsys, tmp_path):
    from qiskit_welinq.cli import presets

    def broken(args):  # noqa: ANN001, ARG001
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(presets, "cmd_presets", broken)
    monkeypatch.delenv("WELINQ_DEBUG", raising=False)
    assert main(["presets"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: boom second line" in err
    assert "please report it" in err and "--debug" in err and "Traceback" not in err
    assert main(["--debug", "presets"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: boom" in err


def test_the_console_script_prints_no_traceback(tmp_path):
    bad = tmp_path / "bad.qasm"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = "import sys; from qiskit_welinq.cli import main; sys.exit(main())"
    proc = subprocess.run([sys.executable, "-c", script, "run", str(bad)], capture_output=True,
                          text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "not UTF-8" in proc.stderr
