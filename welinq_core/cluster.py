"""The cluster model: QPUs, the optical links between them, and the network they form.

All three types are frozen, keyword-only value types validated at construction,
with a JSON round trip. Units are SI and in the field names.

Examples:
    >>> cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=4, topology="line")
    >>> cluster.num_data_qubits, sorted(cluster.network().edges)
    (12, [('qpu0', 'qpu1'), ('qpu1', 'qpu2')])
    >>> Cluster.from_json(cluster.to_json()) == cluster
    True
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from welinq_core import gates
from welinq_core.codes import LogicalEncoding
from welinq_core.errors import ClusterSpecError
from welinq_core.physics.heralding import HeraldedLinkModel
from welinq_core.physics.memory import QuantumMemory
from welinq_core.physics.presets import link_preset

__all__ = ["QPU", "Link", "Cluster", "TOPOLOGIES", "MODALITIES"]

TOPOLOGIES = ("all-to-all", "line", "ring", "star", "grid")
MODALITIES = ("generic", "neutral-atom", "trapped-ion", "superconducting")
_FORMAT_VERSION = 1


def _check_probability(owner: str, name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and 0.0 <= value <= 1.0):
        raise ClusterSpecError(f"{owner}: {name}={value!r} is outside [0, 1]; give a probability")


def _check_nonnegative(owner: str, name: str, value: float | None, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ClusterSpecError(f"{owner}: {name}={value!r} must be a finite number >= 0")


@dataclasses.dataclass(frozen=True, kw_only=True)
class QPU:
    """One quantum processor.

    Attributes:
        name: Unique name in its cluster.
        num_data_qubits: Qubits available to the user's circuit.
        num_comm_qubits: Communication qubits that hold one end of a Bell pair each.
            An endpoint of a remote gate uses one; a QPU that swaps entanglement
            for others uses two. Defaults to 2.
        coupling: Intra-QPU coupling graph as data-qubit index pairs, or None
            (all-to-all). Defaults to None.
        modality: One of :data:`MODALITIES`.
        native_gates: Gate names the QPU executes, or None (every supported gate).
        single_qubit_gate_error: Depolarizing probability after each one-qubit gate.
        two_qubit_gate_error: Two-qubit depolarizing probability after each local two-qubit gate.
        readout_error: Probability that a measurement result is flipped.
        single_qubit_gate_duration_s: Duration of a one-qubit gate, in seconds.
        two_qubit_gate_duration_s: Duration of a two-qubit gate, in seconds.
        measurement_duration_s: Duration of a measurement, in seconds.
        t1_s: Data-qubit energy relaxation time, in seconds, or None (no relaxation).
        t2_s: Data-qubit dephasing time, in seconds, or None (no dephasing).
        encoding: How each data qubit is encoded (:class:`~welinq_core.codes.LogicalEncoding`),
            or None (physical qubits). With an encoding, ``num_data_qubits`` counts logical
            qubits and each Bell pair of a plan costs the code's physical pairs.

    Examples:
        >>> QPU(name="a", num_data_qubits=4).num_comm_qubits
        2
    """

    name: str
    num_data_qubits: int
    num_comm_qubits: int = 2
    coupling: tuple[tuple[int, int], ...] | None = None
    modality: str = "generic"
    native_gates: tuple[str, ...] | None = None
    single_qubit_gate_error: float = 0.0
    two_qubit_gate_error: float = 0.0
    readout_error: float = 0.0
    single_qubit_gate_duration_s: float = 0.0
    two_qubit_gate_duration_s: float = 0.0
    measurement_duration_s: float = 0.0
    t1_s: float | None = None
    t2_s: float | None = None
    encoding: LogicalEncoding | None = None

    def __post_init__(self) -> None:
        who = f"QPU {self.name!r}"
        if self.encoding is not None and not isinstance(self.encoding, LogicalEncoding):
            raise ClusterSpecError(f"{who}: encoding={self.encoding!r} must be a LogicalEncoding or None")
        if not isinstance(self.name, str) or not self.name:
            raise ClusterSpecError(f"QPU name={self.name!r} must be a non-empty string")
        for field in ("num_data_qubits", "num_comm_qubits"):
            v = getattr(self, field)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ClusterSpecError(f"{who}: {field}={v!r} must be an integer >= 0")
        if self.coupling is not None:
            edges = tuple(tuple(int(x) for x in e) for e in self.coupling)
            for a, b in edges:
                if not (0 <= a < self.num_data_qubits and 0 <= b < self.num_data_qubits) or a == b:
                    raise ClusterSpecError(
                        f"{who}: coupling edge {(a, b)} is not a pair of distinct data qubits "
                        f"in 0..{self.num_data_qubits - 1}"
                    )
            object.__setattr__(self, "coupling", edges)
        if self.modality not in MODALITIES:
            raise ClusterSpecError(f"{who}: modality={self.modality!r}; choose one of {MODALITIES}")
        if self.native_gates is not None:
            object.__setattr__(self, "native_gates", tuple(self.native_gates))
            for g in self.native_gates:
                if not gates.is_supported(g):
                    raise ClusterSpecError(
                        f"{who}: native gate {g!r} is unknown; use names from {gates.supported_gates()}"
                    )
        for field in ("single_qubit_gate_error", "two_qubit_gate_error", "readout_error"):
            _check_probability(who, field, getattr(self, field))
        for field in ("single_qubit_gate_duration_s", "two_qubit_gate_duration_s", "measurement_duration_s"):
            _check_nonnegative(who, field, getattr(self, field))
        for field in ("t1_s", "t2_s"):
            v = getattr(self, field)
            if v is not None and not (isinstance(v, (int, float)) and v > 0):
                raise ClusterSpecError(f"{who}: {field}={v!r} must be > 0 seconds, or None (no decay)")
        if self.t1_s is not None and self.t2_s is not None and self.t2_s > 2 * self.t1_s + 1e-15:
            raise ClusterSpecError(
                f"{who}: t2_s={self.t2_s} exceeds 2*t1_s={2 * self.t1_s}, which is unphysical; lower t2_s"
            )

    @property
    def is_ideal(self) -> bool:
        """Whether local gates, readout and idling are noiseless."""
        return (
            self.single_qubit_gate_error == 0
            and self.two_qubit_gate_error == 0
            and self.readout_error == 0
            and self.t1_s is None
            and self.t2_s is None
        )

    def to_json_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        d = dataclasses.asdict(self)
        if self.coupling is not None:
            d["coupling"] = [list(e) for e in self.coupling]
        if self.native_gates is not None:
            d["native_gates"] = list(self.native_gates)
        if self.encoding is not None:
            d["encoding"] = self.encoding.to_json_dict()
        return d

    @classmethod
    def from_json_dict(cls, d: Mapping[str, Any]) -> QPU:
        """Inverse of :meth:`to_json_dict`."""
        kw = dict(d)
        if kw.get("coupling") is not None:
            kw["coupling"] = tuple(tuple(e) for e in kw["coupling"])
        if kw.get("native_gates") is not None:
            kw["native_gates"] = tuple(kw["native_gates"])
        if kw.get("encoding") is not None:
            kw["encoding"] = LogicalEncoding.from_json_dict(kw["encoding"])
        return _construct(cls, kw, "QPU")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Link:
    """An optical link that delivers Bell pairs between two QPUs.

    Attributes:
        bell_pair_fidelity: Fidelity of a delivered pair to |Phi+>, in [0.25, 1];
            the pair is a Werner state unless ``bell_pair_probabilities`` is given.
            Defaults to 1.0 (perfect pairs).
        bell_pair_rate_hz: Mean rate of heralded pairs, in hertz, or None (unlimited).
        length_km: Fibre length, in kilometres (sets classical latency, 5 us/km).
        memory: Memory holding buffered pairs and communication qubits, or None (ideal).
        bell_pair_probabilities: Optional Bell-diagonal probabilities
            (p_I, p_X, p_Y, p_Z); overrides the Werner form. p_I must equal the fidelity.

    Examples:
        >>> Link(bell_pair_fidelity=0.97, length_km=2.0).latency_s
        1e-05
    """

    bell_pair_fidelity: float = 1.0
    bell_pair_rate_hz: float | None = None
    length_km: float = 0.0
    memory: QuantumMemory | None = None
    bell_pair_probabilities: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        f = self.bell_pair_fidelity
        if not (isinstance(f, (int, float)) and 0.25 <= f <= 1.0):
            raise ClusterSpecError(
                f"Link: bell_pair_fidelity={f!r} is outside [0.25, 1]; 1 is a perfect pair, "
                "0.25 a fully mixed one"
            )
        r = self.bell_pair_rate_hz
        if r is not None and not (isinstance(r, (int, float)) and r > 0 and math.isfinite(r)):
            raise ClusterSpecError(
                f"Link: bell_pair_rate_hz={r!r} must be > 0, or None for an unlimited rate"
            )
        _check_nonnegative("Link", "length_km", self.length_km)
        if self.memory is not None and not isinstance(self.memory, QuantumMemory):
            raise ClusterSpecError(f"Link: memory={self.memory!r} must be a QuantumMemory or None")
        if self.bell_pair_probabilities is not None:
            p = tuple(float(x) for x in self.bell_pair_probabilities)
            if len(p) != 4 or min(p) < 0 or abs(sum(p) - 1) > 1e-9:
                raise ClusterSpecError(
                    f"Link: bell_pair_probabilities={p!r} must be 4 non-negative numbers summing to 1"
                )
            if abs(p[0] - f) > 1e-9:
                raise ClusterSpecError(
                    f"Link: bell_pair_probabilities[0]={p[0]} differs from bell_pair_fidelity={f}; "
                    "set bell_pair_fidelity to p_I"
                )
            object.__setattr__(self, "bell_pair_probabilities", p)

    @property
    def latency_s(self) -> float:
        """One-way classical latency over the fibre, in seconds (5 us per km)."""
        return self.length_km * 5e-6

    @property
    def pauli_probabilities(self) -> tuple[float, float, float, float]:
        """Bell-diagonal probabilities (p_I, p_X, p_Y, p_Z) of a fresh pair."""
        if self.bell_pair_probabilities is not None:
            return self.bell_pair_probabilities
        q = (1.0 - self.bell_pair_fidelity) / 3
        return (float(self.bell_pair_fidelity), q, q, q)

    @classmethod
    def from_physics(cls, model: HeraldedLinkModel | None = None, /, **model_kwargs: Any) -> Link:
        """A link whose pairs come from a heralded-generation model.

        The rate is :attr:`HeraldedLinkModel.mean_pair_rate_hz`, the pair is
        :attr:`HeraldedLinkModel.delivered_pair` (already aged in memory while the
        herald travels, so fidelity falls with distance), and ``length_km`` and
        ``memory`` are copied from the model.

        Args:
            model: The physical model; or None and give its keyword arguments instead.
            **model_kwargs: Arguments of :class:`~welinq_core.physics.HeraldedLinkModel`
                (used only when ``model`` is None).

        Raises:
            ClusterSpecError: If both or neither of ``model`` and keyword arguments are
                given, if they are invalid, or if the link never heralds.

        Examples:
            >>> link = Link.from_physics(length_km=50.0, collection_efficiency=0.1, visibility=0.95)
            >>> round(link.bell_pair_fidelity, 3), round(link.bell_pair_rate_hz, 2), link.length_km
            (0.975, 1.98, 50.0)
        """
        if model is None:
            if not model_kwargs:
                raise ClusterSpecError(
                    "Link.from_physics needs a HeraldedLinkModel or its keyword arguments, e.g. "
                    "Link.from_physics(length_km=10.0, collection_efficiency=0.1)"
                )
            try:
                model = HeraldedLinkModel(**model_kwargs)
            except TypeError as err:
                raise ClusterSpecError(f"Link.from_physics: {err}; see HeraldedLinkModel's fields") from err
            except ValueError as err:
                raise ClusterSpecError(f"Link.from_physics: {err}") from err
        elif model_kwargs:
            raise ClusterSpecError(
                f"Link.from_physics got a model and keyword arguments {sorted(model_kwargs)}; give "
                "one or the other (use dataclasses.replace(model, ...) to modify a model)"
            )
        if not isinstance(model, HeraldedLinkModel):
            raise ClusterSpecError(f"Link.from_physics: model={model!r} is not a HeraldedLinkModel")
        try:
            rate = model.mean_pair_rate_hz
            pair = model.delivered_pair
        except ValueError as err:
            raise ClusterSpecError(f"Link.from_physics: {err}") from err
        if not rate > 0:
            raise ClusterSpecError(
                f"Link.from_physics: the model heralds at rate {rate!r} Hz (success probability "
                f"{model.success_probability!r}); raise the efficiencies or shorten the link"
            )
        return cls(
            bell_pair_fidelity=pair.fidelity,
            bell_pair_rate_hz=float(rate),
            length_km=float(model.length_km),
            memory=model.memory,
            bell_pair_probabilities=pair.probabilities,
        )

    @classmethod
    def from_preset(cls, name: str) -> Link:
        """A link from a named physics preset (:func:`welinq_core.physics.link_presets`).

        The preset's infinite rate (``"ideal"``) becomes None (unlimited).

        Raises:
            ClusterSpecError: If no physics preset has that name (the message lists them).

        Examples:
            >>> link = Link.from_preset("trapped_ion_oxford_2025")
            >>> link.bell_pair_fidelity, link.bell_pair_rate_hz, link.length_km
            (0.97, 10.0, 0.002)
            >>> Link.from_preset("ideal").bell_pair_rate_hz is None
            True
        """
        try:
            preset = link_preset(name)
        except ValueError as err:
            raise ClusterSpecError(f"Link.from_preset: {err}") from err
        rate = preset.bell_pair_rate_hz
        return cls(
            bell_pair_fidelity=preset.bell_pair.fidelity,
            bell_pair_rate_hz=None if math.isinf(rate) else float(rate),
            length_km=float(preset.length_km),
            memory=preset.memory,
            bell_pair_probabilities=None if preset.bell_pair.is_werner else preset.bell_pair.probabilities,
        )

    @property
    def is_ideal(self) -> bool:
        """Whether pairs are perfect and never decay."""
        return self.bell_pair_fidelity == 1.0 and (self.memory is None or self.memory.model == "ideal")

    def to_json_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        return {
            "bell_pair_fidelity": self.bell_pair_fidelity,
            "bell_pair_rate_hz": self.bell_pair_rate_hz,
            "length_km": self.length_km,
            "memory": None if self.memory is None else self.memory.to_json_dict(),
            "bell_pair_probabilities": (
                None if self.bell_pair_probabilities is None else list(self.bell_pair_probabilities)
            ),
        }

    @classmethod
    def from_json_dict(cls, d: Mapping[str, Any]) -> Link:
        """Inverse of :meth:`to_json_dict`."""
        kw = dict(d)
        if kw.get("memory") is not None:
            try:
                kw["memory"] = QuantumMemory.from_json_dict(kw["memory"])
            except (KeyError, TypeError) as err:
                raise ClusterSpecError(f"Link: malformed memory {kw['memory']!r}: {err}") from err
        if kw.get("bell_pair_probabilities") is not None:
            kw["bell_pair_probabilities"] = tuple(kw["bell_pair_probabilities"])
        return _construct(cls, kw, "Link")


def _construct(cls: type, kw: dict[str, Any], what: str) -> Any:
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(kw) - fields)
    if unknown:
        raise ClusterSpecError(f"{what}: unknown field(s) {unknown}; valid fields are {sorted(fields)}")
    try:
        return cls(**kw)
    except TypeError as err:
        raise ClusterSpecError(f"{what}: {err}") from err


def _link_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


@dataclasses.dataclass(frozen=True, kw_only=True, eq=True)
class Cluster:
    """QPUs joined by optical links.

    Args:
        qpus: The QPUs (names must be unique).
        links: Mapping from a pair of QPU names to the :class:`Link` between them
            (undirected; ``("a", "b")`` and ``("b", "a")`` are the same link).
        name: A label for reports.

    Raises:
        ClusterSpecError: On duplicate names, unknown link endpoints, self-links or a
            disconnected network.

    Examples:
        >>> c = Cluster(qpus=[QPU(name="a", num_data_qubits=2), QPU(name="b", num_data_qubits=2)],
        ...             links={("a", "b"): Link(bell_pair_fidelity=0.99)})
        >>> c.link("b", "a").bell_pair_fidelity
        0.99
    """

    qpus: tuple[QPU, ...]
    links: tuple[tuple[tuple[str, str], Link], ...] = ()
    name: str = "cluster"

    def __init__(
        self,
        *,
        qpus: Iterable[QPU],
        links: Mapping[tuple[str, str], Link] | Iterable[tuple[tuple[str, str], Link]] = (),
        name: str = "cluster",
    ) -> None:
        qpus = tuple(qpus)
        items = links.items() if isinstance(links, Mapping) else links
        norm: dict[tuple[str, str], Link] = {}
        names = [q.name for q in qpus]
        for q in qpus:
            if not isinstance(q, QPU):
                raise ClusterSpecError(f"Cluster: qpus must be QPU objects, got {q!r}")
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise ClusterSpecError(f"Cluster: duplicate QPU name(s) {dup}; QPU names must be unique")
        if not qpus:
            raise ClusterSpecError("Cluster: needs at least one QPU")
        for key, link in items:
            if not (isinstance(key, tuple) and len(key) == 2):
                raise ClusterSpecError(f"Cluster: link key {key!r} must be a pair of QPU names")
            a, b = key
            for end in (a, b):
                if end not in names:
                    raise ClusterSpecError(
                        f"Cluster: link {key!r} names unknown QPU {end!r}; known QPUs are {names}"
                    )
            if a == b:
                raise ClusterSpecError(f"Cluster: link {key!r} joins QPU {a!r} to itself")
            if not isinstance(link, Link):
                raise ClusterSpecError(f"Cluster: link {key!r} must be a Link, got {link!r}")
            k = _link_key(a, b)
            if k in norm:
                raise ClusterSpecError(f"Cluster: link between {a!r} and {b!r} given twice")
            norm[k] = link
        for a, b in norm:
            ea, eb = (next(q.encoding for q in qpus if q.name == n) for n in (a, b))
            if ea != eb:
                raise ClusterSpecError(
                    f"Cluster: linked QPUs {a!r} and {b!r} use different encodings ({ea} vs {eb}); "
                    "remote logical gates need the same code on both ends"
                )
        object.__setattr__(self, "qpus", qpus)
        object.__setattr__(self, "links", tuple(sorted(norm.items())))
        object.__setattr__(self, "name", name)
        g = self.network()
        if len(qpus) > 1 and not nx.is_connected(g):
            comps = [sorted(c) for c in nx.connected_components(g)]
            raise ClusterSpecError(
                f"Cluster {name!r}: the network is disconnected, components {comps}; add a link "
                "between components (every pair of QPUs must be reachable)"
            )

    # ---- lookups -------------------------------------------------------------------------
    @property
    def qpu_names(self) -> tuple[str, ...]:
        """QPU names in order."""
        return tuple(q.name for q in self.qpus)

    @property
    def num_qpus(self) -> int:
        """Number of QPUs."""
        return len(self.qpus)

    @property
    def num_data_qubits(self) -> int:
        """Total data-qubit capacity."""
        return sum(q.num_data_qubits for q in self.qpus)

    @property
    def num_comm_qubits(self) -> int:
        """Total communication qubits."""
        return sum(q.num_comm_qubits for q in self.qpus)

    def qpu(self, name: str) -> QPU:
        """The QPU called ``name``."""
        for q in self.qpus:
            if q.name == name:
                return q
        raise ClusterSpecError(f"no QPU named {name!r}; QPUs are {list(self.qpu_names)}")

    def link(self, a: str, b: str) -> Link:
        """The link between QPUs ``a`` and ``b``."""
        k = _link_key(a, b)
        for key, link in self.links:
            if key == k:
                return link
        raise ClusterSpecError(f"no link between {a!r} and {b!r}; links are {[k for k, _ in self.links]}")

    def physical_pairs_per_logical_pair(self, a: str, b: str) -> int:
        """Physical Bell pairs one plan-level pair costs on the link between ``a`` and ``b``
        (1 without an encoding)."""
        enc = self.qpu(a).encoding
        return 1 if enc is None else enc.bell_pairs_per_logical_pair

    def has_link(self, a: str, b: str) -> bool:
        """Whether QPUs ``a`` and ``b`` are directly linked."""
        k = _link_key(a, b)
        return any(key == k for key, _ in self.links)

    def network(self) -> nx.Graph:
        """The network as a networkx graph: nodes are QPU names (attribute ``qpu``),
        edges carry ``link`` and ``latency_s``."""
        g = nx.Graph()
        for q in self.qpus:
            g.add_node(q.name, qpu=q)
        for (a, b), link in self.links:
            g.add_edge(a, b, link=link, latency_s=link.latency_s)
        return g

    @property
    def is_ideal(self) -> bool:
        """Whether every QPU and link is noiseless."""
        return all(q.is_ideal for q in self.qpus) and all(l.is_ideal for _, l in self.links)

    def with_link(self, link: Link) -> Cluster:
        """A copy in which every link is replaced by ``link``."""
        return Cluster(qpus=self.qpus, links={k: link for k, _ in self.links}, name=self.name)

    # ---- serialisation --------------------------------------------------------------------
    def to_json_dict(self) -> dict[str, Any]:
        """Plain-data form (see :meth:`from_json`)."""
        return {
            "welinq_cluster_version": _FORMAT_VERSION,
            "name": self.name,
            "qpus": [q.to_json_dict() for q in self.qpus],
            "links": [{"qpus": [a, b], **l.to_json_dict()} for (a, b), l in self.links],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """JSON text of the cluster."""
        return json.dumps(self.to_json_dict(), indent=indent)

    @classmethod
    def from_json_dict(cls, d: Mapping[str, Any]) -> Cluster:
        """Inverse of :meth:`to_json_dict`."""
        if not isinstance(d, Mapping):
            raise ClusterSpecError(f"cluster description must be a JSON object, got {type(d).__name__}")
        if "qpus" not in d:
            raise ClusterSpecError("cluster description has no 'qpus' list; see Cluster.to_json() for the format")
        qpus = [QPU.from_json_dict(q) for q in d["qpus"]]
        links: dict[tuple[str, str], Link] = {}
        for i, ld in enumerate(d.get("links", [])):
            ld = dict(ld)
            ends = ld.pop("qpus", None)
            if not (isinstance(ends, list) and len(ends) == 2):
                raise ClusterSpecError(f"link #{i} needs 'qpus': [name_a, name_b], got {ends!r}")
            links[(ends[0], ends[1])] = Link.from_json_dict(ld)
        return cls(qpus=qpus, links=links, name=d.get("name", "cluster"))

    @classmethod
    def from_json(cls, text_or_path: str | os.PathLike[str]) -> Cluster:
        """Read a cluster from JSON text or from a path to a JSON file.

        Raises:
            ClusterSpecError: If the file is missing, is not JSON, or describes an invalid cluster.
        """
        text = str(text_or_path)
        if not text.lstrip().startswith("{"):
            try:
                with open(text, encoding="utf-8") as f:
                    text = f.read()
            except OSError as err:
                raise ClusterSpecError(
                    f"cannot read cluster file {str(text_or_path)!r}: {err.strerror}; give a JSON "
                    "text, a path to a JSON file, or a preset name"
                ) from err
        try:
            d = json.loads(text)
        except json.JSONDecodeError as err:
            raise ClusterSpecError(f"cluster file is not valid JSON: {err}") from err
        return cls.from_json_dict(d)

    # ---- factories ------------------------------------------------------------------------
    @classmethod
    def homogeneous(
        cls,
        *,
        num_qpus: int,
        data_qubits_per_qpu: int,
        comm_qubits_per_qpu: int = 2,
        topology: str = "all-to-all",
        link: Link | None = None,
        qpu: QPU | None = None,
        name: str | None = None,
    ) -> Cluster:
        """``num_qpus`` identical QPUs named ``qpu0, qpu1, ...`` joined in a topology.

        Args:
            num_qpus: Number of QPUs (>= 1).
            data_qubits_per_qpu: Data qubits per QPU.
            comm_qubits_per_qpu: Communication qubits per QPU. Defaults to 2.
            topology: One of :data:`TOPOLOGIES`. ``star`` puts ``qpu0`` at the centre;
                ``grid`` uses the most square rows x columns layout.
            link: The link used on every edge. Defaults to an ideal link.
            qpu: Template QPU whose noise and durations are copied. Defaults to ideal.
            name: Cluster name. Defaults to a description.

        Examples:
            >>> Cluster.homogeneous(num_qpus=4, data_qubits_per_qpu=2, topology="grid").network().number_of_edges()
            4
        """
        if not isinstance(num_qpus, int) or num_qpus < 1:
            raise ClusterSpecError(f"num_qpus={num_qpus!r} must be an integer >= 1")
        if topology not in TOPOLOGIES:
            raise ClusterSpecError(f"topology={topology!r} is unknown; choose one of {TOPOLOGIES}")
        link = link or Link()
        template = qpu or QPU(name="qpu", num_data_qubits=data_qubits_per_qpu)
        qpus = [
            dataclasses.replace(
                template,
                name=f"qpu{i}",
                num_data_qubits=data_qubits_per_qpu,
                num_comm_qubits=comm_qubits_per_qpu,
            )
            for i in range(num_qpus)
        ]
        n = num_qpus
        if topology == "all-to-all":
            g = nx.complete_graph(n)
        elif topology == "line":
            g = nx.path_graph(n)
        elif topology == "ring":
            g = nx.cycle_graph(n) if n > 2 else nx.path_graph(n)
        elif topology == "star":
            g = nx.star_graph(n - 1)
        else:
            rows = max(r for r in range(1, int(math.isqrt(n)) + 1) if n % r == 0)
            g = nx.convert_node_labels_to_integers(nx.grid_2d_graph(rows, n // rows), ordering="sorted")
        links = {(f"qpu{a}", f"qpu{b}"): link for a, b in g.edges}
        return cls(
            qpus=qpus,
            links=links,
            name=name or f"{n}x{data_qubits_per_qpu}-{topology}",
        )

    @classmethod
    def preset(cls, name: str) -> Cluster:
        """A named, ready-made cluster; :meth:`presets` lists the names.

        Examples:
            >>> Cluster.preset("ideal").num_qpus
            2
        """
        from welinq_core.cluster_presets import cluster_preset  # registry module builds on this one

        return cluster_preset(name)

    @staticmethod
    def presets() -> tuple[str, ...]:
        """Names of the ready-made clusters.

        Examples:
            >>> "ideal" in Cluster.presets()
            True
        """
        from welinq_core.cluster_presets import cluster_preset_names

        return cluster_preset_names()
