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
import difflib
import json
import math
import numbers
import os
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from welinq_core import gates
from welinq_core.cluster_schema import FORMAT_VERSION, check_cluster_document, parse_cluster_text, read_document_file
from welinq_core.codes import LogicalEncoding
from welinq_core.errors import ClusterSpecError, WelinqError
from welinq_core.numbers_check import as_int, as_real
from welinq_core.physics.heralding import HeraldedLinkModel
from welinq_core.physics.memory import QuantumMemory
from welinq_core.physics.presets import link_preset

__all__ = ["QPU", "Link", "Cluster", "TOPOLOGIES", "MODALITIES"]

TOPOLOGIES = ("all-to-all", "line", "ring", "star", "grid")
MODALITIES = ("generic", "neutral-atom", "trapped-ion", "superconducting")
_FORMAT_VERSION = FORMAT_VERSION


#: Largest number of data (or communication) qubits one QPU may declare.
MAX_QUBITS_PER_QPU = 1_000_000
#: Largest number of QPUs in a cluster.
MAX_QPUS = 100_000
#: Largest number of links in a cluster (an all-to-all network of 633 QPUs).
MAX_LINKS = 200_000
#: Largest total of data qubits a cluster document may declare.
MAX_DATA_QUBITS = 10_000_000


#: Preparation and emission time of one attempt when a link gives only its rate (s).
_DEFAULT_ATTEMPT_PREP_S = 2e-6


def _probability(owner: str, name: str, value: object) -> float:
    return as_real(name, value, minimum=0.0, maximum=1.0, error=ClusterSpecError, owner=owner,
                   hint="give a probability")


def _nonnegative(owner: str, name: str, value: object) -> float:
    return as_real(name, value, minimum=0.0, error=ClusterSpecError, owner=owner)


def _printable_name(owner: str, field: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ClusterSpecError(f"{owner}{field}={value!r} must be a non-empty string")
    if not value.isprintable():
        raise ClusterSpecError(
            f"{owner}{field}={value!r} contains control or escape characters; use printable characters only"
        )
    return value


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
        _printable_name("QPU ", "name", self.name)
        who = f"QPU {self.name!r}"
        set_ = lambda field, value: object.__setattr__(self, field, value)  # noqa: E731
        if self.encoding is not None and not isinstance(self.encoding, LogicalEncoding):
            raise ClusterSpecError(f"{who}: encoding={self.encoding!r} must be a LogicalEncoding or None")
        for field in ("num_data_qubits", "num_comm_qubits"):
            set_(field, as_int(field, getattr(self, field), minimum=0, maximum=MAX_QUBITS_PER_QPU,
                               error=ClusterSpecError, owner=who))
        if self.coupling is not None:
            set_("coupling", self._checked_coupling(who))
        if not isinstance(self.modality, str) or self.modality not in MODALITIES:
            raise ClusterSpecError(f"{who}: modality={self.modality!r}; choose one of {MODALITIES}")
        if self.native_gates is not None:
            if isinstance(self.native_gates, str) or not isinstance(self.native_gates, Iterable):
                raise ClusterSpecError(
                    f"{who}: native_gates={self.native_gates!r} must be a sequence of gate names or None"
                )
            set_("native_gates", tuple(self.native_gates))
            for g in self.native_gates:
                if not isinstance(g, str) or not gates.is_supported(g):
                    raise ClusterSpecError(
                        f"{who}: native gate {g!r} is unknown; use names from {gates.supported_gates()}"
                    )
        for field in ("single_qubit_gate_error", "two_qubit_gate_error", "readout_error"):
            set_(field, _probability(who, field, getattr(self, field)))
        for field in ("single_qubit_gate_duration_s", "two_qubit_gate_duration_s", "measurement_duration_s"):
            set_(field, _nonnegative(who, field, getattr(self, field)))
        for field in ("t1_s", "t2_s"):
            v = getattr(self, field)
            if v is not None:
                set_(field, as_real(field, v, minimum=0.0, strict_min=True, error=ClusterSpecError, owner=who,
                                    hint="give a time in seconds, or None (no decay)"))
        if self.t1_s is not None and self.t2_s is not None and self.t2_s > 2 * self.t1_s + 1e-15:
            raise ClusterSpecError(
                f"{who}: t2_s={self.t2_s} exceeds 2*t1_s={2 * self.t1_s}, which is unphysical; lower t2_s"
            )

    def _checked_coupling(self, who: str) -> tuple[tuple[int, int], ...]:
        if isinstance(self.coupling, str) or not isinstance(self.coupling, Iterable):
            raise ClusterSpecError(f"{who}: coupling={self.coupling!r} must be a sequence of qubit pairs or None")
        edges = []
        for e in self.coupling:
            if isinstance(e, str) or not isinstance(e, Iterable) or len(e := tuple(e)) != 2:
                raise ClusterSpecError(
                    f"{who}: coupling edge {e!r} must be a pair of data-qubit indices, e.g. (0, 1)"
                )
            a, b = (as_int("coupling index", x, minimum=0, error=ClusterSpecError, owner=who) for x in e)
            if not (a < self.num_data_qubits and b < self.num_data_qubits) or a == b:
                raise ClusterSpecError(
                    f"{who}: coupling edge {(a, b)} is not a pair of distinct data qubits "
                    f"in 0..{self.num_data_qubits - 1}"
                )
            edges.append((a, b))
        return tuple(edges)

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
        if not isinstance(d, Mapping):
            raise ClusterSpecError(f"QPU description {d!r} must be a JSON object")
        kw = dict(d)
        if isinstance(kw.get("encoding"), Mapping):
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
        distillation: None (default: pairs are used as delivered), ``"dejmps"`` or
            ``"bbpssw"``: the link hands out pairs distilled by recurrence from its raw
            pairs, inside every run's schedule (docs/physics.md 2.6).
        distillation_rounds: Recurrence rounds (a positive integer; 2**rounds raw pairs
            per delivered pair when every round succeeds). Defaults to 1 when
            ``distillation`` is set and no target fidelity is given.
        distillation_target_fidelity: Instead of rounds: the fewest rounds that bring a
            fresh pair to this fidelity (an unreachable target is an error naming the best
            reachable); ``distillation_rounds`` then holds that number.
        attempt_duration_s: Generation is a train of attempts: the time from the start of
            one attempt to the next (preparation, emission and, for a communication qubit
            that waits for the outcome, the herald). None (default): derived from the rate
            as min(2 us + the fibre latency, 1/rate).
        attempt_success_probability: Herald probability of one mode in one attempt. None
            (default): derived so that the mean rate is ``bell_pair_rate_hz``.
        num_modes: Multiplexed modes per attempt (>= 1); an attempt heralds with
            probability 1 - (1 - p)^M (one pair per attempt is used). Defaults to 1.
        herald_latency_s: Extra time from the end of the successful attempt until both
            nodes know (when attempts do not wait for their herald); the pair's fidelity is
            the one at that time. Defaults to 0.0.
        The schedule draws the number of attempts to a pair (geometric), so the mean pair
        rate is p_eff / attempt_duration_s; given attempt fields and a rate must agree, and
        attempt fields alone set the rate (docs/physics.md 2.3).

    Examples:
        >>> Link(bell_pair_fidelity=0.97, length_km=2.0).latency_s
        1e-05
        >>> Link(bell_pair_fidelity=0.9, distillation="dejmps").distillation_rounds
        1
        >>> Link(bell_pair_fidelity=0.9, distillation="dejmps", distillation_target_fidelity=0.99).distillation_rounds
        3
    """

    bell_pair_fidelity: float = 1.0
    bell_pair_rate_hz: float | None = None
    length_km: float = 0.0
    memory: QuantumMemory | None = None
    bell_pair_probabilities: tuple[float, float, float, float] | None = None
    distillation: str | None = None
    distillation_rounds: int | None = None
    distillation_target_fidelity: float | None = None
    attempt_duration_s: float | None = None
    attempt_success_probability: float | None = None
    num_modes: int = 1
    herald_latency_s: float = 0.0

    def __post_init__(self) -> None:
        f = self.bell_pair_fidelity
        if isinstance(f, bool) or not isinstance(f, numbers.Real) or not (0.25 <= float(f) <= 1.0):
            kind = "" if isinstance(f, numbers.Real) and not isinstance(f, bool) else f" (got a {type(f).__name__})"
            raise ClusterSpecError(
                f"Link: bell_pair_fidelity={f!r} is outside [0.25, 1]{kind}; 1 is a perfect pair, "
                "0.25 a fully mixed one"
            )
        object.__setattr__(self, "bell_pair_fidelity", float(f))
        r = self.bell_pair_rate_hz
        if r is not None:
            if isinstance(r, bool) or not isinstance(r, numbers.Real) or not (float(r) > 0 and math.isfinite(r)):
                raise ClusterSpecError(
                    f"Link: bell_pair_rate_hz={r!r} must be > 0, or None for an unlimited rate"
                )
            object.__setattr__(self, "bell_pair_rate_hz", float(r))
        object.__setattr__(self, "length_km", _nonnegative("Link", "length_km", self.length_km))
        if self.memory is not None and not isinstance(self.memory, QuantumMemory):
            raise ClusterSpecError(f"Link: memory={self.memory!r} must be a QuantumMemory or None")
        if self.bell_pair_probabilities is not None:
            raw = self.bell_pair_probabilities
            if isinstance(raw, str | bytes) or not isinstance(raw, Iterable) or len(raw := tuple(raw)) != 4:
                raise ClusterSpecError(
                    f"Link: bell_pair_probabilities={self.bell_pair_probabilities!r} must be 4 numbers "
                    "(p_I, p_X, p_Y, p_Z)"
                )
            p = tuple(_probability("Link", f"bell_pair_probabilities[{i}]", x) for i, x in enumerate(raw))
            if abs(sum(p) - 1) > 1e-9:
                raise ClusterSpecError(
                    f"Link: bell_pair_probabilities={p!r} must be 4 non-negative numbers summing to 1"
                )
            if abs(p[0] - self.bell_pair_fidelity) > 1e-9:
                raise ClusterSpecError(
                    f"Link: bell_pair_probabilities[0]={p[0]} differs from bell_pair_fidelity={f}; "
                    "set bell_pair_fidelity to p_I"
                )
            object.__setattr__(self, "bell_pair_probabilities", p)
        self._check_attempts()
        self._check_distillation()

    def _check_attempts(self) -> None:
        """Validate the attempt model; attempt fields without a rate set the rate."""
        t, p = self.attempt_duration_s, self.attempt_success_probability
        object.__setattr__(self, "num_modes", as_int("num_modes", self.num_modes, minimum=1, error=ClusterSpecError,
                                                     owner="Link"))
        object.__setattr__(self, "herald_latency_s", _nonnegative("Link", "herald_latency_s", self.herald_latency_s))
        if t is not None:
            t = as_real("attempt_duration_s", t, minimum=0.0, strict_min=True, error=ClusterSpecError, owner="Link",
                        hint="give the attempt period in seconds")
            object.__setattr__(self, "attempt_duration_s", t)
        if p is not None:
            p = as_real("attempt_success_probability", p, minimum=0.0, maximum=1.0, strict_min=True,
                        error=ClusterSpecError, owner="Link", hint="give a probability in (0, 1]")
            object.__setattr__(self, "attempt_success_probability", p)
        rate = self.bell_pair_rate_hz
        if rate is None:
            if t is None and p is None and self.num_modes == 1 and self.herald_latency_s == 0.0:
                return
            if t is None or p is None:
                raise ClusterSpecError(
                    f"Link: attempt_duration_s={t!r} / attempt_success_probability={p!r} without a "
                    "bell_pair_rate_hz: give both (they set the rate) or a rate")
            object.__setattr__(self, "bell_pair_rate_hz", self._p_eff(p) / t)
            return
        if t is not None and p is not None:
            derived = self._p_eff(p) / t
            if abs(derived - rate) > 1e-9 * rate:
                raise ClusterSpecError(
                    f"Link: bell_pair_rate_hz={rate!r} disagrees with the attempts, which give "
                    f"{derived!r} Hz (1 - (1 - {p})^{self.num_modes} per {t} s); drop the rate or fix the attempts")
        elif t is not None and rate * t > 1.0:
            raise ClusterSpecError(
                f"Link: attempt_duration_s={t!r} at bell_pair_rate_hz={rate!r} would need more than one pair "
                f"per attempt (rate x duration = {rate * t:.6g}); shorten the attempts or lower the rate")

    def _p_eff(self, p: float) -> float:
        return p if self.num_modes == 1 or p >= 1.0 else -math.expm1(self.num_modes * math.log1p(-p))

    @property
    def attempts(self) -> tuple[float, float, float] | None:
        """``(attempt_duration_s, p_eff per attempt, herald_latency_s)`` the schedule draws
        from (given, or derived from the rate), or None for an unlimited rate.

        Examples:
            >>> t, p, herald = Link(bell_pair_rate_hz=100.0).attempts  # 2 us attempts, p = 100 Hz x 2 us
            >>> t, round(p, 12), herald
            (2e-06, 0.0002, 0.0)
            >>> round(Link(attempt_duration_s=1e-5, attempt_success_probability=0.01, num_modes=10).bell_pair_rate_hz, 3)
            9561.792
        """
        rate = self.bell_pair_rate_hz
        if rate is None:
            return None
        t, p = self.attempt_duration_s, self.attempt_success_probability
        if t is None and p is None:
            t = min(_DEFAULT_ATTEMPT_PREP_S + self.latency_s, 1.0 / rate)
            return (t, min(rate * t, 1.0), self.herald_latency_s)
        if t is None:
            p_eff = self._p_eff(p)  # type: ignore[arg-type]
            return (p_eff / rate, p_eff, self.herald_latency_s)
        if p is None:
            return (t, min(rate * t, 1.0), self.herald_latency_s)
        return (t, self._p_eff(p), self.herald_latency_s)

    def _check_distillation(self) -> None:
        """Validate the distillation policy and resolve a target fidelity to rounds."""
        rounds, target = self.distillation_rounds, self.distillation_target_fidelity
        if self.distillation is None:
            if rounds is not None or target is not None:
                raise ClusterSpecError(
                    f"Link: distillation_rounds={rounds!r} / distillation_target_fidelity={target!r} need a "
                    "protocol: set distillation='dejmps' or 'bbpssw'")
            return
        from welinq_core.errors import OptionsError
        from welinq_core.physics.bell_pair import BellPair
        from welinq_core.schedule.distillation import DistillationPolicy  # (imports this module)

        try:
            policy = DistillationPolicy(protocol=self.distillation, rounds=None if target is not None
                                        else (1 if rounds is None else rounds), target_fidelity=target)
            resolved = policy.rounds_for(BellPair.from_probabilities(self.pauli_probabilities))
        except OptionsError as err:
            raise ClusterSpecError(f"Link: {err}") from None
        if target is not None and rounds is not None and rounds != resolved:
            raise ClusterSpecError(
                f"Link: distillation_rounds={rounds!r} contradicts distillation_target_fidelity={target!r}, "
                f"which takes {resolved} round(s) from this link's pairs; give one of the two")
        if target is not None:
            object.__setattr__(self, "distillation_target_fidelity", float(target))
        object.__setattr__(self, "distillation_rounds", int(resolved))

    @property
    def distillation_policy(self) -> Any:
        """The :class:`~welinq_core.schedule.distillation.DistillationPolicy` the schedule runs
        on this link (fixed rounds), or None when the link does not distil."""
        if self.distillation is None or not self.distillation_rounds:
            return None
        from welinq_core.schedule.distillation import DistillationPolicy

        return DistillationPolicy(protocol=self.distillation, rounds=self.distillation_rounds)

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

        The attempts are the model's (attempt cycle, herald probability per mode, modes,
        and the herald latency when attempts do not wait for it), so the rate is
        :attr:`HeraldedLinkModel.mean_pair_rate_hz`; the pair is
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
            length_km=float(model.length_km),
            memory=model.memory,
            bell_pair_probabilities=pair.probabilities,
            attempt_duration_s=float(model.attempt_duration_s),
            attempt_success_probability=float(model.success_probability_per_mode),
            num_modes=int(model.num_modes),
            herald_latency_s=0.0 if model.waits_for_herald else float(model.herald_latency_s),
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
        if preset.model is not None:
            return cls.from_physics(preset.model)
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
            **({} if self.attempt_duration_s is None and self.attempt_success_probability is None
               and self.num_modes == 1 and self.herald_latency_s == 0.0 else {
                "attempt_duration_s": self.attempt_duration_s,
                "attempt_success_probability": self.attempt_success_probability,
                "num_modes": self.num_modes, "herald_latency_s": self.herald_latency_s}),
            **({} if self.distillation is None else {
                "distillation": self.distillation,
                "distillation_rounds": self.distillation_rounds,
                "distillation_target_fidelity": self.distillation_target_fidelity}),
        }

    @classmethod
    def from_json_dict(cls, d: Mapping[str, Any]) -> Link:
        """Inverse of :meth:`to_json_dict`."""
        if not isinstance(d, Mapping):
            raise ClusterSpecError(f"link description {d!r} must be a JSON object")
        kw = dict(d)
        if kw.get("memory") is not None:
            if not isinstance(kw["memory"], Mapping):
                raise ClusterSpecError(f"Link: memory={kw['memory']!r} must be a JSON object or null")
            try:
                kw["memory"] = QuantumMemory.from_json_dict(kw["memory"])
            except (KeyError, TypeError, ValueError) as err:
                raise ClusterSpecError(f"Link: malformed memory {kw['memory']!r}: {err}") from err
        return _construct(cls, kw, "Link")


def _construct(cls: type, kw: dict[str, Any], what: str) -> Any:
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(kw) - fields)
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), sorted(fields), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ClusterSpecError(f"{what}: unknown field(s) {unknown}{hint}; valid fields are {sorted(fields)}")
    try:
        return cls(**kw)
    except WelinqError:
        raise
    except (TypeError, ValueError) as err:
        raise ClusterSpecError(f"{what}: {err}") from err


def _at(where: str, build: Any, *args: Any) -> Any:
    """Call ``build(*args)``, prefixing a construction error with the JSON path it came from."""
    try:
        return build(*args)
    except WelinqError as err:
        raise ClusterSpecError(f"cluster document: {where}: {err}") from err


def _link_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _components(nodes: list[str], edges: Iterable[tuple[str, str]]) -> list[set[str]]:
    """Connected components by union-find (linear in nodes + edges, unlike repeated graph builds)."""
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups: dict[str, set[str]] = {}
    for n in nodes:
        groups.setdefault(find(n), set()).add(n)
    return list(groups.values())


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
        if isinstance(qpus, QPU) or not isinstance(qpus, Iterable):
            raise ClusterSpecError(f"Cluster: qpus={qpus!r} must be a sequence of QPU objects")
        qpus = tuple(qpus)
        if len(qpus) > MAX_QPUS:
            raise ClusterSpecError(
                f"Cluster: {len(qpus)} QPUs is more than the limit of {MAX_QPUS}; describe fewer, larger QPUs"
            )
        if not isinstance(links, Mapping | Iterable) or isinstance(links, str):
            raise ClusterSpecError(f"Cluster: links={links!r} must be a mapping {{(qpu_a, qpu_b): Link}}")
        items = links.items() if isinstance(links, Mapping) else links
        _printable_name("Cluster ", "name", name)
        by_name: dict[str, QPU] = {}
        for q in qpus:
            if not isinstance(q, QPU):
                raise ClusterSpecError(f"Cluster: qpus must be QPU objects, got {q!r}")
            by_name.setdefault(q.name, q)
        if len(by_name) != len(qpus):
            names = [q.name for q in qpus]
            seen: set[str] = set()
            dup = sorted({n for n in names if n in seen or seen.add(n)})
            raise ClusterSpecError(f"Cluster: duplicate QPU name(s) {dup}; QPU names must be unique")
        if not qpus:
            raise ClusterSpecError("Cluster: needs at least one QPU")
        norm: dict[tuple[str, str], Link] = {}
        for item in items:
            if not (isinstance(item, tuple) and len(item) == 2):
                raise ClusterSpecError(f"Cluster: link entry {item!r} must be ((qpu_a, qpu_b), Link)")
            key, link = item
            if not (isinstance(key, tuple) and len(key) == 2):
                raise ClusterSpecError(f"Cluster: link key {key!r} must be a pair of QPU names")
            a, b = key
            for end in (a, b):
                if not isinstance(end, str) or end not in by_name:
                    shown = list(by_name) if len(by_name) <= 20 else [*list(by_name)[:20], "..."]
                    raise ClusterSpecError(
                        f"Cluster: link {key!r} names unknown QPU {end!r}; known QPUs are {shown}"
                    )
            if a == b:
                raise ClusterSpecError(f"Cluster: link {key!r} joins QPU {a!r} to itself")
            if not isinstance(link, Link):
                raise ClusterSpecError(f"Cluster: link {key!r} must be a Link, got {link!r}")
            k = _link_key(a, b)
            if k in norm:
                raise ClusterSpecError(f"Cluster: link between {a!r} and {b!r} given twice")
            norm[k] = link
            if len(norm) > MAX_LINKS:
                raise ClusterSpecError(
                    f"Cluster: more than {MAX_LINKS} links (the limit); use a sparser topology "
                    "(line, ring, star, grid): pairs between distant QPUs are routed by entanglement swapping"
                )
            ea, eb = by_name[a].encoding, by_name[b].encoding
            if ea != eb:
                raise ClusterSpecError(
                    f"Cluster: linked QPUs {a!r} and {b!r} use different encodings ({ea} vs {eb}); "
                    "remote logical gates need the same code on both ends"
                )
        object.__setattr__(self, "qpus", qpus)
        object.__setattr__(self, "links", tuple(sorted(norm.items(), key=lambda kv: kv[0])))
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "_link_of", norm)
        components = _components(list(by_name), norm)
        if len(components) > 1:
            comps = [sorted(c) for c in components]
            if sum(len(c) for c in comps) > 40:
                comps = [c if len(c) <= 5 else [*c[:5], f"... {len(c) - 5} more"] for c in comps[:5]]
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
        q = self._by_name.get(name) if isinstance(name, str) else None
        if q is not None:
            return q
        raise ClusterSpecError(f"no QPU named {name!r}; QPUs are {list(self.qpu_names)}")

    def has_qpu(self, name: str) -> bool:
        """Whether the cluster has a QPU called ``name``."""
        return isinstance(name, str) and name in self._by_name

    def link(self, a: str, b: str) -> Link:
        """The link between QPUs ``a`` and ``b``."""
        link = self._link_of.get(_link_key(a, b)) if isinstance(a, str) and isinstance(b, str) else None
        if link is not None:
            return link
        raise ClusterSpecError(f"no link between {a!r} and {b!r}; links are {[k for k, _ in self.links]}")

    def physical_pairs_per_logical_pair(self, a: str, b: str) -> int:
        """Physical Bell pairs one plan-level pair costs on the link between ``a`` and ``b``
        (1 without an encoding)."""
        enc = self.qpu(a).encoding
        return 1 if enc is None else enc.bell_pairs_per_logical_pair

    def has_link(self, a: str, b: str) -> bool:
        """Whether QPUs ``a`` and ``b`` are directly linked."""
        return isinstance(a, str) and isinstance(b, str) and _link_key(a, b) in self._link_of

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

    def with_distillation(self, protocol: str | None, *, rounds: int | None = None,
                          target_fidelity: float | None = None) -> Cluster:
        """A copy in which every link with imperfect pairs distils them (``protocol``
        ``"dejmps"`` or ``"bbpssw"``, ``rounds`` or a ``target_fidelity``), or, with
        ``protocol=None``, no link does. Links with perfect pairs are left as they are.

        Raises:
            ClusterSpecError: On an invalid policy, or a target some link cannot reach
                (the message names the link and the best reachable fidelity).

        Examples:
            >>> c = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, link=Link(bell_pair_fidelity=0.9))
            >>> c.with_distillation("dejmps", rounds=2).links[0][1].distillation_rounds
            2
        """
        links = {}
        for (a, b), link in self.links:
            if protocol is not None and link.bell_pair_fidelity >= 1.0:
                links[(a, b)] = link
                continue
            try:
                links[(a, b)] = dataclasses.replace(
                    link, distillation=protocol, distillation_rounds=rounds, distillation_target_fidelity=target_fidelity)
            except ClusterSpecError as err:
                raise ClusterSpecError(f"link {a!r}-{b!r}: {err}") from None
        return Cluster(qpus=self.qpus, links=links, name=self.name)

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
        """Inverse of :meth:`to_json_dict`; the document is checked against the cluster
        format (:mod:`welinq_core.cluster_schema`) before anything is built.

        Raises:
            ClusterSpecError: Naming the JSON path of the first problem, its value and the fix.

        Examples:
            >>> Cluster.from_json_dict({"qpus": [{"name": "a", "num_data_qubits": 2}]}).num_data_qubits
            2
            >>> Cluster.from_json_dict({"qpus": [{"name": "a", "num_data_qubits": 2.0}]})
            Traceback (most recent call last):
            ...
            welinq_core.errors.ClusterSpecError: cluster document: $.qpus[0].num_data_qubits = 2.0: expected an integer, got a number; write 2 without a decimal point
        """
        check_cluster_document(d)
        qpus = [_at(f"$.qpus[{i}]", QPU.from_json_dict, q) for i, q in enumerate(d["qpus"])]
        links: list[tuple[tuple[str, str], Link]] = []
        for i, ld in enumerate(d.get("links", [])):
            ld = dict(ld)
            a, b = ld.pop("qpus")
            links.append(((a, b), _at(f"$.links[{i}] (link {a!r}-{b!r})", Link.from_json_dict, ld)))
        total = sum(q.num_data_qubits for q in qpus)
        if total > MAX_DATA_QUBITS:
            raise ClusterSpecError(
                f"cluster document: the QPUs hold {total} data qubits in total, more than the limit of "
                f"{MAX_DATA_QUBITS}; a cluster needs only as many qubits as the circuits it runs"
            )
        return _at("$", lambda: cls(qpus=qpus, links=links, name=d.get("name", "cluster")))

    @classmethod
    def from_json(cls, text_or_path: str | os.PathLike[str]) -> Cluster:
        """Read a cluster from JSON text or from a path to a JSON file.

        A file must be a regular UTF-8 file of at most
        :data:`~welinq_core.cluster_schema.MAX_DOCUMENT_BYTES` bytes; the format is in
        ``docs/cluster-format.md``.

        Raises:
            ClusterSpecError: If the file is missing, unreadable, too large, not UTF-8, not
                JSON, or describes an invalid cluster (the message names the JSON path).
        """
        if isinstance(text_or_path, bytes):
            raise ClusterSpecError("Cluster.from_json takes JSON text or a path, not bytes; decode it first")
        if not isinstance(text_or_path, str | os.PathLike):
            raise ClusterSpecError(
                f"Cluster.from_json takes JSON text or a path, got a {type(text_or_path).__name__}"
            )
        text = os.fspath(text_or_path)
        if not isinstance(text, str) or not text.lstrip().startswith(("{", "[")):
            text = read_document_file(text_or_path)
        return cls.from_json_dict(parse_cluster_text(text))

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
        num_qpus = as_int("num_qpus", num_qpus, minimum=1, maximum=MAX_QPUS, error=ClusterSpecError,
                          owner="Cluster.homogeneous")
        data_qubits_per_qpu = as_int("data_qubits_per_qpu", data_qubits_per_qpu, minimum=0,
                                     maximum=MAX_QUBITS_PER_QPU, error=ClusterSpecError, owner="Cluster.homogeneous")
        comm_qubits_per_qpu = as_int("comm_qubits_per_qpu", comm_qubits_per_qpu, minimum=0,
                                     maximum=MAX_QUBITS_PER_QPU, error=ClusterSpecError, owner="Cluster.homogeneous")
        if not isinstance(topology, str) or topology not in TOPOLOGIES:
            raise ClusterSpecError(f"topology={topology!r} is unknown; choose one of {TOPOLOGIES}")
        if topology == "all-to-all" and num_qpus * (num_qpus - 1) // 2 > MAX_LINKS:
            raise ClusterSpecError(
                f"Cluster.homogeneous: {num_qpus} QPUs all-to-all need {num_qpus * (num_qpus - 1) // 2} links, "
                f"more than the limit of {MAX_LINKS}; choose topology='line', 'ring', 'star' or 'grid' "
                "(distant QPUs are reached by entanglement swapping)"
            )
        if link is not None and not isinstance(link, Link):
            raise ClusterSpecError(f"Cluster.homogeneous: link={link!r} must be a Link or None")
        if qpu is not None and not isinstance(qpu, QPU):
            raise ClusterSpecError(f"Cluster.homogeneous: qpu={qpu!r} must be a QPU (a template) or None")
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
