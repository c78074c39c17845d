"""The cluster file format: the shipped schema, strict loading, bounded reading, fuzzing."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import re
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cluster_documents import mutated_documents, valid_documents
from welinq_core import QPU, Cluster, ClusterSpecError, Link, QuantumMemory
from welinq_core.cluster_schema import (
    FORMAT_VERSION,
    MAX_DOCUMENT_BYTES,
    _first_violation,
    check_cluster_document,
    cluster_schema,
    nesting_depth,
    parse_cluster_text,
)
from welinq_core.codes import LogicalEncoding
from welinq_core.errors import WelinqError
from welinq_core.physics.memory import _FIELDS as MEMORY_FIELDS

ROOT = Path(__file__).resolve().parents[2]


def _strict_jsonschema():
    """jsonschema's draft 2020-12 validator with exact types (as welinq reads the schema)."""
    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine_many({
        "integer": lambda _, v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda _, v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v),
    })
    return jsonschema.validators.extend(base, type_checker=checker)(cluster_schema())


def test_schema_is_valid_draft_2020_12_and_published_in_docs():
    jsonschema.Draft202012Validator.check_schema(cluster_schema())
    assert cluster_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    doc = (ROOT / "docs" / "cluster-format.md").read_text("utf-8")
    published = re.search(r"## The schema.*?```json\n(.*?)```", doc, re.DOTALL).group(1)
    assert json.loads(published) == cluster_schema()
    example = re.search(r"```json\n(.*?)```", doc, re.DOTALL).group(1)
    assert Cluster.from_json(example).num_qpus == 2


def test_schema_keys_are_the_constructors_fields():
    defs = cluster_schema()["$defs"]
    assert set(defs["qpu"]["properties"]) == {f.name for f in dataclasses.fields(QPU)}
    assert set(defs["link"]["properties"]) == {f.name for f in dataclasses.fields(Link)} | {"qpus"}
    assert set(defs["memory"]["properties"]) == set(MEMORY_FIELDS) | {"type"}
    assert set(defs["encoding"]["properties"]) == {f.name for f in dataclasses.fields(LogicalEncoding)}
    assert cluster_schema()["properties"]["welinq_cluster_version"]["const"] == FORMAT_VERSION


def test_every_preset_round_trips_through_the_format():
    for name in Cluster.presets():
        c = Cluster.preset(name)
        d = json.loads(c.to_json())
        check_cluster_document(d)
        assert Cluster.from_json(c.to_json()) == c


@given(valid_documents())
def test_valid_documents_load(doc):
    cluster = Cluster.from_json(json.dumps(doc))
    assert cluster.num_qpus == len(doc["qpus"])
    assert Cluster.from_json(cluster.to_json()) == cluster


@settings(max_examples=100)
@given(mutated_documents())
def test_mutated_documents_load_or_raise_our_error(doc):
    try:
        text = json.dumps(doc)
    except (ValueError, TypeError):
        return
    try:
        cluster = Cluster.from_json(text) if text.lstrip().startswith(("{", "[")) else Cluster.from_json_dict(doc)
    except ClusterSpecError as err:
        message = str(err)
        assert message and "\x1b" not in message and "\n" not in message
        return
    assert isinstance(cluster, Cluster)
    # Accepted documents are well formed: exact types, nothing unknown.
    assert _first_violation(doc, cluster_schema(), []) is None


@settings(max_examples=100)
@given(st.one_of(valid_documents(), mutated_documents()))
def test_the_checker_agrees_with_jsonschema(doc):
    ours = _first_violation(doc, cluster_schema(), [])
    theirs = list(_strict_jsonschema().iter_errors(doc)) if not _too_deep(doc) else ["deep"]
    assert (ours is None) == (not theirs), (ours and ours.absolute_path, theirs[:1])


def _too_deep(value, depth=0):
    if depth > 200:
        return True
    if isinstance(value, dict):
        return any(_too_deep(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_too_deep(v, depth + 1) for v in value)
    return False


TWO = '{"qpus": [{"name": "a", "num_data_qubits": 2}, {"name": "b", "num_data_qubits": 2}], "links": [%s]}'


@pytest.mark.parametrize("text, match", [
    ('{"qpus": 5}', r"\$.qpus = 5: expected an array, got an integer"),
    ('{"qpus": [5]}', r"\$.qpus\[0\] = 5: expected an object"),
    (TWO % '{"qpus": [["a"], "b"]}', r"\$.links\[0\].qpus\[0\] = \[\"a\"\]: expected a string"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 2, "coupling": [["x", "y"]]}]}', r"coupling\[0\]\[0\] = \"x\""),
    ('{"qpus": [{"name": "a", "num_data_qubits": 2, "coupling": [[0, 1, 1]]}]}', r"coupling\[0\]: 3 items"),
    (TWO % '{"qpus": ["a", "b"], "memory": "ideal"}', r"memory = \"ideal\": expected an object or null"),
    (TWO % '{"qpus": ["a", "b"], "bell_pair_fidelity": true}', "bell_pair_fidelity = true: expected a number, got a boolean"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 2, "readout_error": true}]}', "readout_error = true: expected a number"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 4.0}]}', "expected an integer, got a number; write 4"),
    ('{"qpus": [{"name": "a", "num_data_qubits": "4"}]}', "expected an integer, got a string"),
    (TWO % '{"qpus": ["a", "b"], "bell_pair_fidelity": 0.9, "bell_pair_probabilities": ["0.9", 0.1, 0, 0]}',
     r"bell_pair_probabilities\[0\] = \"0.9\": expected a number"),
    (TWO % '{"qpus": ["a", "b"], "bell_pair_fidelity": 0.9, "bell_pair_probabilities": [NaN, 0.1, 0, 0]}',
     r"bell_pair_probabilities\[0\] = nan: expected a finite number \(in the link between \[\"a\", \"b\"\]\)"),
    (TWO % '{"qpus": ["a", "b"], "length_km": Infinity}', "length_km = inf: expected a finite number"),
    ('{"welinq_cluster_version": 999, "qpus": [{"name": "a", "num_data_qubits": 2}]}',
     "uses cluster format version 999, but this welinq reads version 1"),
    ('{"welinq_cluster_version": 0, "qpus": [{"name": "a", "num_data_qubits": 2}]}', "version = 0: expected 1"),
    (TWO % '{"qpus": ["a", "b"]}, {"qpus": ["b", "a"], "bell_pair_fidelity": 0.9}',
     r"\$.links\[1\]: a second link between \"b\" and \"a\" \(the first is \$.links\[0\]\)"),
    (TWO % '{"qpus": ["a", "b"]}, {"qpus": ["a", "b"]}', "a second link"),
    (TWO % '{"qpus": ["a", "a"]}', "a link joins two different QPUs"),
    (TWO % '{"qpus": ["a", "c"]}', r"\$.links\[0\].qpus\[1\] = \"c\": no QPU has this name"),
    ('{"qpus": [{"name": "a", "num_data_qbits": 2}]}', "unknown key 'num_data_qbits' \\(did you mean 'num_data_qubits'\\?\\)"),
    (TWO % '{"qpus": ["a", "b"], "bell_pair_fidelty": 0.9}', "did you mean 'bell_pair_fidelity'"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 2, "modality": "neutral_atom"}]}', "did you mean 'neutral-atom'"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 1000000000}]}', r"expected an integer in \[0, 1000000\] \(the limit"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 1e30}]}', "expected an integer, got a number"),
    ('{"qpus": [{"name": "\\u001b[31mred", "num_data_qubits": 1}]}', "printable characters only"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 2}], "qpus": []}', "key \"qpus\" appears twice"),
    ('{"qpus": []}', "expected at least 1 item"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 2}, {"name": "a", "num_data_qubits": 2}]}',
     r"\$.qpus\[1\].name = \"a\": QPU #0 has the same name"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 2}, {"name": "b", "num_data_qubits": 2}]}', "disconnected"),
    (TWO % '{"qpus": ["a", "b"], "memory": {"model": "depolarizing"}}', r"\$.links\[0\] \(link 'a'-'b'\).*depolarizing_time_s"),
    (TWO % '{"qpus": ["a", "b"], "bell_pair_fidelity": 0.9, "bell_pair_probabilities": [0.9, 0.2, 0, 0]}', "summing to 1"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 2, "t1_s": 1, "t2_s": 5}]}', r"\$.qpus\[0\]: QPU 'a': t2_s=5.0 exceeds"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 2, "native_gates": ["cx", "toffoli"]}]}', "native gate 'toffoli' is unknown"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 2, "encoding": {"code": "surface", "distance": 0}}]}',
     "missing required key 'physical_qubits_per_logical'"),
    ("[" * 100_000 + "]" * 100_000, "nests arrays and objects 100000 deep, more than the limit of 32"),
    ('{"qpus": ' + "[" * 40 + "]" * 40 + "}", "41 deep"),
    ("[1, 2]", r"\$ = \[1, 2\]: expected an object with a 'qpus' array, got an array"),
    ("{not json", "not valid JSON: Expecting property name"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 2}]} trailing', "not valid JSON: Extra data"),
])
def test_hostile_documents_are_refused_naming_the_path(text, match):
    with pytest.raises(ClusterSpecError, match=match) as info:
        Cluster.from_json(text)
    assert "\n" not in str(info.value)


def test_python_documents_are_checked_too():
    deep: list = []
    node = deep
    for _ in range(5000):
        node.append([])
        node = node[0]
    with pytest.raises(ClusterSpecError, match=r"\$.qpus\[0\]"):
        Cluster.from_json_dict({"qpus": deep})
    with pytest.raises(ClusterSpecError, match="expected an object"):
        Cluster.from_json_dict("qpus")  # type: ignore[arg-type]
    with pytest.raises(ClusterSpecError, match="not bytes"):
        Cluster.from_json(b'{"qpus": []}')  # type: ignore[arg-type]
    with pytest.raises(ClusterSpecError, match="got a int"):
        Cluster.from_json(5)  # type: ignore[arg-type]


def test_nesting_depth_ignores_brackets_inside_strings():
    assert nesting_depth('{"a": "[[[[{{{{"}') == 1
    assert nesting_depth('{"a": "\\"[[["}') == 1
    with pytest.raises(ClusterSpecError, match="characters, more than the limit of 10"):
        parse_cluster_text("{}" * 6, max_bytes=10)


# ---- files ---------------------------------------------------------------------------------
def test_files_that_are_not_regular_are_refused_without_reading(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(ClusterSpecError, match="named pipe"):
        Cluster.from_json(fifo)  # would block forever if opened for reading
    with pytest.raises(ClusterSpecError, match="it is a device"):
        Cluster.from_json("/dev/zero")  # would read gigabytes
    with pytest.raises(ClusterSpecError, match="it is a directory"):
        Cluster.from_json(tmp_path)


def test_large_files_are_refused_before_reading(tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(MAX_DOCUMENT_BYTES + 1)  # sparse: no disk used, nothing read
    with pytest.raises(ClusterSpecError, match=f"has {MAX_DOCUMENT_BYTES + 1} bytes, more than the limit"):
        Cluster.from_json(big)


def test_files_must_be_utf8(tmp_path):
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"qpus": [{"name": "caf\u00e9", "num_data_qubits": 1}]}'.encode("latin-1"))
    with pytest.raises(ClusterSpecError, match=r"is not UTF-8 text \(byte 23 is b'\\xe9'\); save it as UTF-8"):
        Cluster.from_json(latin)
    binary = tmp_path / "binary.json"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(ClusterSpecError, match="not UTF-8"):
        Cluster.from_json(binary)
    utf8 = tmp_path / "utf8.json"
    utf8.write_text('{"qpus": [{"name": "caf\u00e9", "num_data_qubits": 1}]}', encoding="utf-8")
    assert Cluster.from_json(utf8).qpu_names == ("caf\u00e9",)


# ---- constructors --------------------------------------------------------------------------
def test_constructors_accept_numpy_numbers():
    link = Link(bell_pair_fidelity=np.float32(0.9), bell_pair_rate_hz=np.float64(10.0), length_km=np.int64(2))
    assert type(link.bell_pair_fidelity) is float and abs(link.bell_pair_fidelity - 0.9) < 1e-7
    assert type(link.length_km) is float
    qpu = QPU(name="a", num_data_qubits=np.int64(4), num_comm_qubits=np.int32(1), readout_error=np.float32(0.25),
              coupling=np.array([[0, 1], [1, 2]]))
    assert (qpu.num_data_qubits, qpu.num_comm_qubits, qpu.coupling) == (4, 1, ((0, 1), (1, 2)))
    assert type(qpu.num_data_qubits) is int
    c = Cluster.homogeneous(num_qpus=np.int64(3), data_qubits_per_qpu=np.int32(4), link=link, qpu=qpu)
    assert Cluster.from_json(c.to_json()) == c


@pytest.mark.parametrize("build, match", [
    (lambda: Link(bell_pair_fidelity=True), r"bell_pair_fidelity=True is outside \[0.25, 1\] \(got a bool\)"),
    (lambda: Link(bell_pair_fidelity="0.9"), r"\(got a str\)"),
    (lambda: Link(bell_pair_fidelity=math.nan), "bell_pair_fidelity=nan is outside"),
    (lambda: Link(bell_pair_rate_hz=math.inf), "bell_pair_rate_hz=inf must be > 0"),
    (lambda: Link(length_km=math.nan), "length_km=nan must be a finite number >= 0"),
    (lambda: Link(bell_pair_probabilities=(math.nan, 0, 0, 0)), r"bell_pair_probabilities\[0\]=nan"),
    (lambda: Link(bell_pair_probabilities="abcd"), "must be 4 numbers"),
    (lambda: Link(memory="ideal"), "must be a QuantumMemory or None"),
    (lambda: QPU(name="a", num_data_qubits=True), "num_data_qubits=True must be an integer.*got a bool"),
    (lambda: QPU(name="a", num_data_qubits=4.0), "got a float"),
    (lambda: QPU(name="a", num_data_qubits=np.float64(4)), "got a float64"),
    (lambda: QPU(name="a", num_data_qubits=10**9), r"in \[0, 1000000\] \(the limit of this welinq\)"),
    (lambda: QPU(name="a", num_data_qubits=2, readout_error=True), "readout_error=True.*got a bool"),
    (lambda: QPU(name="a", num_data_qubits=2, readout_error=math.nan), "readout_error=nan"),
    (lambda: QPU(name="a", num_data_qubits=2, t1_s=math.inf), "t1_s=inf"),
    (lambda: QPU(name="a", num_data_qubits=2, coupling=[[0]]), r"coupling edge \(0,\) must be a pair"),
    (lambda: QPU(name="a", num_data_qubits=2, coupling=[["x", 1]]), "coupling index='x'"),
    (lambda: QPU(name="a", num_data_qubits=2, coupling=5), "coupling=5 must be a sequence"),
    (lambda: QPU(name="a", num_data_qubits=2, native_gates="cx"), "native_gates='cx' must be a sequence"),
    (lambda: QPU(name="a", num_data_qubits=2, modality=["generic"]), "modality=\\['generic'\\]"),
    (lambda: QPU(name="\x1b[2J", num_data_qubits=2), "control or escape characters"),
    (lambda: QPU(name=5, num_data_qubits=2), "name=5 must be a non-empty string"),
    (lambda: QuantumMemory.depolarizing(time_s=math.nan), "not finite"),
    (lambda: Cluster(qpus=5), "qpus=5 must be a sequence"),
    (lambda: Cluster(qpus=[QPU(name="a", num_data_qubits=1)], links=5), "links=5 must be a mapping"),
    (lambda: Cluster(qpus=[QPU(name="a", num_data_qubits=1)], name="\x07"), "control or escape"),
    (lambda: Cluster(qpus=[QPU(name="a", num_data_qubits=1), QPU(name="b", num_data_qubits=1)],
                     links=[((["a"], "b"), Link())]), r"names unknown QPU \['a'\]"),
    (lambda: Cluster(qpus=[QPU(name="a", num_data_qubits=1), QPU(name="b", num_data_qubits=1)],
                     links=[(("a", "b"), Link()), (("b", "a"), Link())]), "given twice"),
    (lambda: Cluster.homogeneous(num_qpus=3000, data_qubits_per_qpu=2), "need 4498500 links, more than the limit"),
    (lambda: Cluster.homogeneous(num_qpus=True, data_qubits_per_qpu=2), "num_qpus=True"),
    (lambda: Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=-1), "data_qubits_per_qpu=-1"),
    (lambda: Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, topology=["line"]), "topology=\\['line'\\]"),
    (lambda: Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, link=0.9), "link=0.9 must be a Link"),
    (lambda: Cluster.homogeneous(num_qpus=10**6, data_qubits_per_qpu=2, topology="line"), "num_qpus=1000000"),
])
def test_constructors_refuse_hostile_values(build, match):
    with pytest.raises(WelinqError, match=match):
        build()


def test_cluster_construction_is_linear():
    # 20,000 QPUs: lookups are dictionary reads, connectivity is a union-find.
    c = Cluster.homogeneous(num_qpus=20_000, data_qubits_per_qpu=1, topology="line")
    assert c.qpu("qpu19999").name == "qpu19999" and c.has_link("qpu5", "qpu4")
    assert c.link("qpu7", "qpu8") is c.links[0][1]


def test_the_lookups_name_the_choices():
    c = Cluster.preset("ideal")
    with pytest.raises(ClusterSpecError, match="no QPU named 'zz'"):
        c.qpu("zz")
    with pytest.raises(ClusterSpecError, match="no link between"):
        c.link("qpu0", "zz")
    assert not c.has_link("qpu0", ["x"])


def test_copies_keep_their_lookups():
    import pickle

    c = Cluster.preset("ideal-4-line")
    for other in (pickle.loads(pickle.dumps(c)), copy.deepcopy(c), dataclasses.replace(c, name="x")):
        assert other.qpu("qpu1") == c.qpu("qpu1") and other.has_link("qpu0", "qpu1")
