"""A hostile battery of API inputs: each must give the project's own error or a correct result.

Every input is one parametrized case with the outcome it must have:

* ``"error"``: a :class:`~welinq_core.errors.WelinqError` that is also a ``ValueError``,
  ``TypeError`` or ``MemoryError`` (as Qiskit and Cirq code expects), with a one-line
  message free of escape codes;
* ``"ok"``: no error, and the result checked (a cluster that round-trips through JSON,
  counts that sum to the shots and contain only the GHZ outcomes, normalised values).

``test_battery_summary`` counts the cases (at least 200) and their outcomes.
"""

from __future__ import annotations

import fractions
import json
import math
import os

import cirq
import numpy as np
import pytest
from qiskit import QuantumCircuit

from cirq_welinq import ClusterSimulator
from qiskit_welinq import ClusterBackend
from welinq_core import QPU, Cluster, Link
from welinq_core.errors import WelinqError

NAN, INF = math.nan, math.inf
BASE = {"qpus": [{"name": "a", "num_data_qubits": 2}, {"name": "b", "num_data_qubits": 2}],
        "links": [{"qpus": ["a", "b"], "bell_pair_fidelity": 0.9}]}

CASES: list[tuple[str, str, object]] = []  # (label, expected outcome, thunk)


def case(label: str, expected: str, thunk) -> None:  # noqa: ANN001
    CASES.append((label, expected, thunk))


def _doc_with(where: str, key: str, value: object) -> dict:
    doc = json.loads(json.dumps(BASE))
    target = {"top": doc, "qpu": doc["qpus"][0], "link": doc["links"][0]}[where]
    target[key] = value
    return doc


def _load(doc: object):  # noqa: ANN202
    cluster = Cluster.from_json_dict(doc)  # type: ignore[arg-type]
    assert Cluster.from_json(cluster.to_json()) == cluster
    return cluster


# ---- A. cluster documents: every field with values of the wrong type or range -----------------
BAD_FIELDS = {
    ("qpu", "num_data_qubits"): [True, 4.0, "4", -1, None, 10**9, NAN, [4], {}],
    ("qpu", "num_comm_qubits"): [False, 2.5, "2", -3, None, 10**7],
    ("qpu", "readout_error"): [True, "0.1", -0.1, 1.5, NAN, INF, None, [0.1]],
    ("qpu", "single_qubit_gate_error"): [True, 2, -INF, "x"],
    ("qpu", "two_qubit_gate_error"): [False, 1.0000001, NAN, {}],
    ("qpu", "two_qubit_gate_duration_s"): [True, -1, "1", NAN, INF, None],
    ("qpu", "measurement_duration_s"): [-1e-9, [], "fast"],
    ("qpu", "t1_s"): [0, -1, True, "1", INF, NAN],
    ("qpu", "t2_s"): [0.0, False, "x"],
    ("qpu", "modality"): ["quantum", 5, None, "", "neutral_atom"],
    ("qpu", "name"): ["", 5, None, "\x1b[31mred", "a" * 300, ["a"]],
    ("qpu", "coupling"): [5, [[0]], [[0, 0]], [[0, 9]], [["a", "b"]], "0-1", [[0, 1, 2]], [[True, 1]], [[0.0, 1]]],
    ("qpu", "native_gates"): ["cx", [5], ["toffoli"], [""], {}],
    ("qpu", "encoding"): [5, "surface", {}, {"code": "s", "distance": 0, "physical_qubits_per_logical": 1,
                                             "bell_pairs_per_logical_pair": 1}],
    ("qpu", "colour"): ["red"],
    ("qpu", "encoding "): [None],
    ("link", "bell_pair_fidelity"): [True, "0.9", 0.1, 1.1, NAN, INF, None, [0.9]],
    ("link", "bell_pair_rate_hz"): [0, -1, True, "1", NAN, INF],
    ("link", "length_km"): [-1, True, NAN, "1", None],
    ("link", "memory"): ["ideal", 5, [], {"model": "bogus"}, {"model": "depolarizing"},
                         {"model": "ideal", "extra": 1}, {"model": "dephasing", "t2_s": -1},
                         {"model": "depolarizing", "depolarizing_time_s": True}],
    ("link", "bell_pair_probabilities"): [[NAN, 0.1, 0, 0], [0.5, 0.5], "abcd", [1, 0, 0, 0], [0.9, 0.1, 0, 0, 0],
                                          [True, 0, 0, 0], [0.9, 0.2, -0.1, 0.0]],
    ("link", "qpus"): ["ab", ["a"], ["a", "a"], ["a", "c"], [["a"], "b"], [1, 2], ["a", "b", "c"]],
    ("link", "bell_pair_fidelty"): [0.9],
    ("top", "qpus"): [5, {}, [], "a", None, [5], [[]]],
    ("top", "links"): [5, {}, "x", [5], [{"qpus": "ab"}], None],
    ("top", "name"): [5, "", "\x07bell", None],
    ("top", "welinq_cluster_version"): [2, 999, "1", 1.0, True, 0, -1, None],
    ("top", "extra"): [1],
}
for (where, key), values in BAD_FIELDS.items():
    for value in values:
        case(f"doc {where}.{key}={value!r:.30}", "error", lambda w=where, k=key, v=value: _load(_doc_with(w, k, v)))

GOOD_FIELDS = {
    ("qpu", "readout_error"): [0, 1, 0.5],
    ("qpu", "num_data_qubits"): [0, 1_000_000],
    ("qpu", "t1_s"): [1e-300, 1e300, None],
    ("qpu", "coupling"): [[[0, 1]], [], None],
    ("qpu", "native_gates"): [["cx", "h"], None],
    ("link", "bell_pair_fidelity"): [0.25, 1, 1.0],
    ("link", "bell_pair_rate_hz"): [None, 1e-300, 1e300],
    ("link", "length_km"): [0, 1e6],
    ("link", "memory"): [None, {"model": "ideal"}, {"type": "QuantumMemory", "model": "t1t2", "t1_s": 1, "t2_s": 2}],
    ("link", "bell_pair_probabilities"): [[0.9, 0.1, 0, 0], None],
    ("link", "qpus"): [["b", "a"]],
    ("top", "name"): ["caf\u00e9 \u2013 cluster"],
    ("top", "welinq_cluster_version"): [1],
}
for (where, key), values in GOOD_FIELDS.items():
    for value in values:
        case(f"doc {where}.{key}={value!r:.30} (valid)", "ok", lambda w=where, k=key, v=value: _load(_doc_with(w, k, v)))

SURFACE = {"code": "surface", "distance": 3, "physical_qubits_per_logical": 17, "bell_pairs_per_logical_pair": 9}
case("encoding on one end only", "error", lambda: _load(_doc_with("qpu", "encoding", SURFACE)))
case("encoding on both ends (valid)", "ok",
     lambda: _load({**BASE, "qpus": [{**q, "encoding": SURFACE} for q in BASE["qpus"]]}))
case("duplicate link", "error", lambda: _load({**BASE, "links": BASE["links"] * 2}))
case("duplicate QPU name", "error", lambda: _load({**BASE, "qpus": BASE["qpus"] + [BASE["qpus"][0]]}))
case("disconnected", "error", lambda: _load({**BASE, "links": []}))
case("top level list", "error", lambda: _load([BASE]))
case("top level string", "error", lambda: Cluster.from_json("qpus"))
case("JSON with NaN token", "error", lambda: Cluster.from_json(json.dumps(_doc_with("link", "length_km", NAN))))
case("JSON duplicate key", "error", lambda: Cluster.from_json('{"qpus": [], "qpus": []}'))
case("JSON trailing comma", "error", lambda: Cluster.from_json('{"qpus": [],}'))
case("JSON 100000 deep", "error", lambda: Cluster.from_json("[" * 100_000 + "]" * 100_000))
case("JSON 17 MiB", "error", lambda: Cluster.from_json('{"qpus": [], "name": "' + "x" * (17 * 2**20) + '"}'))
case("from_json bytes", "error", lambda: Cluster.from_json(b"{}"))  # type: ignore[arg-type]
case("from_json int", "error", lambda: Cluster.from_json(5))  # type: ignore[arg-type]
case("from_json None", "error", lambda: Cluster.from_json(None))  # type: ignore[arg-type]
case("from_json /dev/zero", "error", lambda: Cluster.from_json("/dev/zero"))
case("from_json /dev/null", "error", lambda: Cluster.from_json("/dev/null"))
case("from_json directory", "error", lambda: Cluster.from_json("/"))
case("from_json missing", "error", lambda: Cluster.from_json("no/such.json"))
case("from_json NUL in path", "error", lambda: Cluster.from_json("a\x00b.json"))

# ---- B. constructors: NumPy and other numbers accepted, the rest refused ------------------------
NUMBERS_OK = [np.float32(0.9), np.float64(0.9), np.float16(0.5), fractions.Fraction(1, 2), 1]
for v in NUMBERS_OK:
    case(f"Link(fidelity={type(v).__name__})", "ok",
         lambda v=v: Link(bell_pair_fidelity=v).bell_pair_fidelity == pytest.approx(float(v), abs=1e-6) or 1 / 0)
for v in [np.int64(4), np.int32(4), np.uint8(4), np.int16(4)]:
    case(f"QPU(num_data_qubits={type(v).__name__})", "ok",
         lambda v=v: type(QPU(name="a", num_data_qubits=v).num_data_qubits) is int or 1 / 0)
for v in [np.bool_(True), np.float64(4.0), np.nan, np.inf, complex(1, 0), "4", b"4", None, [4]]:
    case(f"QPU(num_data_qubits={v!r:.20})", "error", lambda v=v: QPU(name="a", num_data_qubits=v))
for v in [np.bool_(True), np.float32(np.nan), complex(0.9, 0), "0.9", None, [0.9], -np.inf]:
    case(f"Link(fidelity={v!r:.20})", "error", lambda v=v: Link(bell_pair_fidelity=v))
for kwargs in [dict(num_qpus=0), dict(num_qpus=-1), dict(num_qpus=1.5), dict(num_qpus=True), dict(num_qpus="3"),
               dict(num_qpus=10**6), dict(num_qpus=3000), dict(data_qubits_per_qpu=-1), dict(data_qubits_per_qpu=2.5),
               dict(data_qubits_per_qpu="2"), dict(topology="torus"), dict(topology=None), dict(link="x"),
               dict(qpu="x"), dict(comm_qubits_per_qpu=-2), dict(data_qubits_per_qpu=10**7)]:
    args = {"num_qpus": 2, "data_qubits_per_qpu": 2, **kwargs}
    case(f"homogeneous({kwargs})", "error", lambda a=args: Cluster.homogeneous(**a))
case("homogeneous(np.int64)", "ok",
     lambda: Cluster.homogeneous(num_qpus=np.int64(3), data_qubits_per_qpu=np.int8(2)).num_data_qubits == 6 or 1 / 0)

# ---- C. ClusterBackend options ------------------------------------------------------------------
_BACKEND: dict = {}


def backend() -> ClusterBackend:
    if "b" not in _BACKEND:
        _BACKEND["b"] = ClusterBackend(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2,
                                                           link=Link(bell_pair_fidelity=0.99)))
    return _BACKEND["b"]


def ghz(n: int = 3) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure(range(n), range(n))
    return qc


def run_ok(**options):  # noqa: ANN202
    counts = backend().run(ghz(), **{"shots": 64, **options}).result().get_counts()
    assert sum(counts.values()) == int(options.get("shots", 64))
    assert set(counts) <= {"000", "111", "001", "010", "100", "011", "101", "110"}
    return counts


BAD_OPTIONS = {
    "shots": [0, -1, 1.5, "10", True, 10**8, 10**12, np.float64(10), [10]],
    "seed_simulator": ["abc", "7", 7.9, -1, 2**63, 10**23, True, np.bool_(False), [1], NAN],
    "seed_partition": ["abc", -1, 2**64, 1.5, {}],
    "method": ["bogus", 5, None, "STABILIZER"],
    "mode": ["fast", None, 1],
    "effective_rendering": ["x", None],
    "protocols": ["teleport", ("x",), 5, (), None, "telegate,bogus"],
    "memory": ["yes", 1, None],
    "progress": ["yes", 2],
    "assignment": [5, "qpu0", ["qpu0"], {0: "nope"}, {99: "qpu1"}, {"0": "qpu0"}, {-1: "qpu0"},
                   ["qpu0", "qpu1", "qpu9"], ["qpu0", "qpu0", "qpu0"], {0: 5}, {1.0: "qpu0"}, b"qpu0"],
    "shotz": [10],
}
for name, values in BAD_OPTIONS.items():
    for value in values:
        case(f"run({name}={value!r:.25})", "error", lambda n=name, v=value: run_ok(**{n: v}))
        if name not in ("assignment", "shotz"):
            case(f"ClusterBackend({name}={value!r:.25})", "error",
                 lambda n=name, v=value: ClusterBackend("ideal", **{n: v}))
GOOD_OPTIONS = {
    "shots": [np.int64(100), np.int32(5), 1],
    "seed_simulator": [np.int64(5), np.uint64(5), 7.0, None, 2**63 - 1],
    "seed_partition": [np.int32(3), None],
    "method": ["statevector", "density_matrix", "automatic", "matrix_product_state"],
    "assignment": [["qpu0", "qpu0", "qpu1"], {0: "qpu0", 1: "qpu1", 2: "qpu1"},
                   {np.int64(0): "qpu1", 1: "qpu1", 2: "qpu0"}],
    "memory": [np.bool_(True), False],
    "protocols": ["telegate", "telegate,teledata", ("telegate", "teledata"), "auto"],
}
for name, values in GOOD_OPTIONS.items():
    for value in values:
        case(f"run({name}={value!r:.25}) (valid)", "ok", lambda n=name, v=value: run_ok(**{n: v}))
case("run(method='stabilizer') non-Clifford", "error",
     lambda: backend().run(QuantumCircuit(1, 1).compose(_t_circuit()), method="stabilizer", shots=8))
for bad in [5, "nope", b"ideal", 3.0, ["ideal"]]:
    case(f"ClusterBackend({bad!r})", "error", lambda b=bad: ClusterBackend(b))
case("ClusterBackend(None) (the default preset)", "ok", lambda: ClusterBackend(None))
for bad in [5, "qc", None, [ghz(), 5], {"a": 1}]:
    case(f"run_input={bad!r:.20}", "error", lambda b=bad: backend().run(b, shots=8))
case("set_options(shots='x')", "error", lambda: ClusterBackend("ideal").set_options(shots="x"))
case("circuit wider than cluster", "error", lambda: backend().run(ghz(5), shots=8))


def _t_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(1, 1)
    qc.h(0)
    qc.t(0)
    qc.measure(0, 0)
    return qc


# ---- D. ClusterSimulator arguments --------------------------------------------------------------
def cirq_ghz() -> cirq.Circuit:
    q = cirq.LineQubit.range(3)
    return cirq.Circuit(cirq.H(q[0]), cirq.CNOT(q[0], q[1]), cirq.CNOT(q[1], q[2]), cirq.measure(*q, key="m"))


def sim_ok(repetitions=20, **kwargs):  # noqa: ANN001, ANN202
    sim = ClusterSimulator("ideal", **kwargs)
    hist = sim.run(cirq_ghz(), repetitions=repetitions).histogram(key="m")
    assert sum(hist.values()) == int(repetitions) and set(hist) <= {0, 7}
    return hist


BAD_SIM = {
    "seed": ["abc", -1, 2**40, 1.5, True, [1]],
    "seed_partition": ["abc", -1, 1.5],
    "mode": ["bogus", None],
    "dtype": [np.float64, "abc", int, None],
    "noise": ["abc", 5],
    "assignment": [5, {"a": "qpu0"}, {99: "qpu1"}, ["qpu0"], {0: "nope"}],
}
for name, values in BAD_SIM.items():
    for value in values:
        case(f"ClusterSimulator({name}={value!r:.25})", "error", lambda n=name, v=value: sim_ok(**{n: v}))
case("simulator.run(repetitions=0) (as Cirq: no samples)", "ok", lambda: sim_ok(repetitions=0))
for reps in [-1, 1.5, "10", 10**12, True]:
    case(f"simulator.run(repetitions={reps!r})", "error", lambda r=reps: sim_ok(repetitions=r))
for bad in [5, "nope"]:
    case(f"ClusterSimulator({bad!r})", "error", lambda b=bad: ClusterSimulator(b))
case("ClusterSimulator(None) (the default preset)", "ok", lambda: ClusterSimulator(None))
for kwargs in [dict(seed=np.int64(3)), dict(seed=np.random.RandomState(1)), dict(repetitions=np.int64(10)),
               dict(seed_partition=np.int64(2)), dict(dtype=np.complex128),
               dict(assignment=["qpu0", "qpu0", "qpu1"])]:
    case(f"ClusterSimulator({kwargs!r:.40}) (valid)", "ok", lambda k=kwargs: sim_ok(**k))


# ---- running the battery ------------------------------------------------------------------------
OUTCOMES: dict[str, int] = {}


@pytest.mark.parametrize("label, expected, thunk", CASES, ids=[c[0] for c in CASES])
def test_battery(label, expected, thunk):
    try:
        thunk()
    except WelinqError as err:
        assert isinstance(err, ValueError | TypeError | MemoryError), type(err).__mro__
        message = str(err)
        assert message and "\n" not in message and "\x1b" not in message
        assert expected == "error", f"{label}: unexpected error {message}"
        OUTCOMES["own error"] = OUTCOMES.get("own error", 0) + 1
        return
    assert expected == "ok", f"{label}: accepted silently"
    OUTCOMES["correct result"] = OUTCOMES.get("correct result", 0) + 1


def test_battery_summary():
    assert len(CASES) >= 200
    print(f"\nAPI battery: {len(CASES)} inputs, outcomes {OUTCOMES}")
    if os.environ.get("WELINQ_BATTERY_REPORT"):
        with open(os.environ["WELINQ_BATTERY_REPORT"], "w", encoding="utf-8") as f:
            json.dump({"inputs": len(CASES), "outcomes": OUTCOMES}, f)
