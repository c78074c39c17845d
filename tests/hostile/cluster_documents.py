"""Hypothesis strategies for cluster documents: valid ones, and mutations of them.

A valid document is built from the format's own rules; a mutation changes one place
in it (a wrong type, a missing or extra key, an extreme number, NaN or infinity, a
deep nesting, a duplicate link). Every document, valid or not, must either load as a
cluster or raise the project's own error.
"""

from __future__ import annotations

import copy
import math

from hypothesis import strategies as st

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=6)
PROB = st.floats(0.0, 1.0)
NONNEG = st.floats(0.0, 1e3)
POS = st.floats(1e-6, 1e3)

#: Values of every JSON type, including the awkward ones.
ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.just("\x1b[31m"), st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 10**9, 10**30, 0.5, -0.0, 1e308, 4.0, "4", "ideal", [], {}]),
)


@st.composite
def memories(draw):
    model = draw(st.sampled_from(["ideal", "depolarizing", "dephasing", "t1t2"]))
    d = {"type": "QuantumMemory", "model": model}
    if model == "depolarizing":
        d["depolarizing_time_s"] = draw(POS)
    if model == "dephasing":
        d["t2_s"] = draw(POS)
    if model == "t1t2":
        t1 = draw(POS)
        d["t1_s"], d["t2_s"] = t1, draw(st.floats(1e-7, 2 * t1))
    if draw(st.booleans()):
        d["efficiency"] = draw(PROB)
    if draw(st.booleans()):
        d["capacity"] = draw(st.integers(1, 10))
    return d


@st.composite
def valid_documents(draw, max_qpus: int = 5):
    n = draw(st.integers(1, max_qpus))
    names = draw(st.lists(NAMES, min_size=n, max_size=n, unique=True))
    qpus = []
    for name in names:
        size = draw(st.integers(0, 6))
        q = {"name": name, "num_data_qubits": size}
        if draw(st.booleans()):
            q["num_comm_qubits"] = draw(st.integers(0, 4))
        if draw(st.booleans()):
            q["readout_error"] = draw(PROB)
        if draw(st.booleans()):
            q["two_qubit_gate_duration_s"] = draw(NONNEG)
        if size >= 2 and draw(st.booleans()):
            q["coupling"] = [[i, i + 1] for i in range(size - 1)]
        if draw(st.booleans()):
            q["modality"] = draw(st.sampled_from(["generic", "neutral-atom", "trapped-ion", "superconducting"]))
        if draw(st.booleans()):
            t1 = draw(POS)
            q["t1_s"], q["t2_s"] = t1, draw(st.floats(1e-7, 2 * t1))
        qpus.append(q)
    links = []
    for a, b in zip(names, names[1:]):  # a line keeps the network connected
        link = {"qpus": [a, b]}
        if draw(st.booleans()):
            link["bell_pair_fidelity"] = draw(st.floats(0.25, 1.0))
        if draw(st.booleans()):
            link["bell_pair_rate_hz"] = draw(st.one_of(st.none(), POS))
        if draw(st.booleans()):
            link["length_km"] = draw(NONNEG)
        if draw(st.booleans()):
            link["memory"] = draw(st.one_of(st.none(), memories()))
        links.append(link)
    doc = {"qpus": qpus, "links": links}
    if draw(st.booleans()):
        doc["name"] = draw(NAMES)
    if draw(st.booleans()):
        doc["welinq_cluster_version"] = 1
    return doc


def _places(doc):
    """Every (container, key) in the document, for mutation."""
    out = []

    def walk(node):
        if isinstance(node, dict):
            for k in list(node):
                out.append((node, k))
                walk(node[k])
        elif isinstance(node, list):
            for i in range(len(node)):
                out.append((node, i))
                walk(node[i])

    walk(doc)
    return out


def _nest(depth: int):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def mutated_documents(draw):
    """A valid document with one to three places changed."""
    doc = copy.deepcopy(draw(valid_documents()))
    for _ in range(draw(st.integers(1, 3))):
        places = _places(doc)
        kind = draw(st.sampled_from(
            ["replace", "delete", "extra_key", "nan", "deep", "duplicate_link", "top_level"]
        ))
        if kind == "top_level":
            doc = draw(ODD_VALUES)
            break
        if kind == "duplicate_link":
            if not (isinstance(doc.get("links"), list) and doc["links"] and isinstance(doc["links"][0], dict)
                    and isinstance(doc["links"][0].get("qpus"), list)):
                continue
            link = copy.deepcopy(doc["links"][0])
            link["qpus"] = link["qpus"][::-1] if draw(st.booleans()) else link["qpus"]
            doc["links"].append(link)
            continue
        if kind == "extra_key":
            containers = [c for c, _ in places if isinstance(c, dict)] or [doc]
            target = draw(st.sampled_from(containers))
            target[draw(st.sampled_from(["colour", "num_data_qbits", "bell_pair_fidelty", "", "qpus", "x" * 50]))] = (
                draw(ODD_VALUES))
            continue
        if not places:
            continue
        container, key = draw(st.sampled_from(places))
        if kind == "replace":
            container[key] = draw(ODD_VALUES)
        elif kind == "delete":
            del container[key]
        elif kind == "nan":
            container[key] = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
        elif kind == "deep":
            container[key] = _nest(draw(st.integers(10, 60)))
    return doc
