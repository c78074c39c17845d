"""Named link presets with their sources (docs/physics.md 3).

Every preset says how much to trust it through :attr:`LinkPreset.evidence`:

* ``"peer-reviewed"``: the headline numbers (fidelity, distance, and rate where stated)
  are published measurements; any filled-in number is flagged in ``notes``;
* ``"company-claim"``: figures stated by a company (interviews, EU project summaries),
  not independently verified;
* ``"projection"``: an engineering projection or a design target;
* ``"synthetic"``: an idealisation for tests and tutorials.

Examples:
    >>> link_preset("trapped_ion_oxford_2025").bell_pair.fidelity
    0.97
    >>> "ideal" in link_presets()
    True
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import _validation as _v
from welinq_core.physics.bell_pair import BellPair
from welinq_core.physics.fibre import one_way_latency_s
from welinq_core.physics.heralding import HeraldedLinkModel
from welinq_core.physics.memory import QuantumMemory
from welinq_core.physics.transduction import projected_transducer_model

__all__ = ["EVIDENCE_LEVELS", "OXFORD_2025_BUDGET", "BudgetItem", "ErrorBudget", "LinkPreset", "link_preset",
           "link_presets", "metro_link_model"]

EVIDENCE_LEVELS: tuple[str, ...] = ("peer-reviewed", "company-claim", "projection", "synthetic")


@dataclasses.dataclass(frozen=True, kw_only=True)
class LinkPreset:
    """A named, sourced set of link parameters.

    Attributes:
        name: Registry name.
        bell_pair: Pair as delivered to the nodes (after herald latency).
        bell_pair_rate_hz: Mean heralded pair rate in Hz (``math.inf`` for ``ideal``).
        length_km: Node-to-node fibre length in km.
        memory: Memory holding the pairs at each node.
        herald_latency_s: Time from emission until both nodes know the herald, in s.
        source: Citation(s) for the numbers.
        evidence: One of ``"peer-reviewed"``, ``"company-claim"``, ``"projection"``,
            ``"synthetic"``.
        notes: Which numbers are assumptions or derived. Defaults to "".
        model: The heralding model the numbers come from, if any (then
            :meth:`welinq_core.cluster.Link.from_preset` builds the link from it, attempts
            included). Defaults to None.

    Examples:
        >>> p = link_preset("ideal")
        >>> p.bell_pair.fidelity, p.evidence
        (1.0, 'synthetic')
    """

    name: str
    bell_pair: BellPair
    bell_pair_rate_hz: float
    length_km: float
    memory: QuantumMemory
    herald_latency_s: float
    source: str
    evidence: str
    notes: str = ""
    model: HeraldedLinkModel | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise PhysicsParameterError(f"name={self.name!r} is empty; give a preset name")
        if not isinstance(self.bell_pair, BellPair):
            raise PhysicsParameterError(f"bell_pair={self.bell_pair!r} is not a BellPair")
        if not isinstance(self.memory, QuantumMemory):
            raise PhysicsParameterError(f"memory={self.memory!r} is not a QuantumMemory")
        _v.positive_or_inf("bell_pair_rate_hz", self.bell_pair_rate_hz, "a rate in Hz > 0")
        _v.non_negative("length_km", self.length_km, "a fibre length >= 0 km")
        _v.non_negative("herald_latency_s", self.herald_latency_s, "a latency in seconds >= 0")
        _v.choice("evidence", self.evidence, EVIDENCE_LEVELS)

    @property
    def bell_pair_fidelity(self) -> float:
        """Fidelity of the delivered pair.

        Examples:
            >>> link_preset("ft_ready_projection").bell_pair_fidelity
            0.99
        """
        return self.bell_pair.fidelity


def _ideal() -> LinkPreset:
    """Perfect pairs, infinite rate, no latency, ideal memory (for tests and tutorials)."""
    return LinkPreset(
        name="ideal", bell_pair=BellPair.perfect(), bell_pair_rate_hz=math.inf, length_km=0.0,
        memory=QuantumMemory.ideal(), herald_latency_s=0.0, source="synthetic",
        evidence="synthetic", notes="Idealisation: F = 1, R = inf, no decay.")


#: How a number in an :class:`ErrorBudget` is known.
BUDGET_STATUSES: tuple[str, ...] = ("reported", "derived", "assumed")


@dataclasses.dataclass(frozen=True, kw_only=True)
class BudgetItem:
    """One component of an experiment's error budget.

    Attributes:
        name: Identifier (e.g. ``"bell_pair_fidelity"``).
        value: The number, in the unit its name says.
        status: ``"reported"`` (a published measurement), ``"derived"`` (computed here from
            reported numbers, the rule in ``source``) or ``"assumed"`` (not published, or not
            found: our choice).
        source: Citation, derivation rule, or why it is assumed.
    """

    name: str
    value: float
    status: str
    source: str

    def __post_init__(self) -> None:
        _v.choice("status", self.status, BUDGET_STATUSES)
        if not isinstance(self.value, (int, float)) or not math.isfinite(self.value):
            raise PhysicsParameterError(f"budget item {self.name!r}: value={self.value!r} is not a finite number")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ErrorBudget:
    """An experiment's component errors, each with its evidence.

    Examples:
        >>> OXFORD_2025_BUDGET["bell_pair_fidelity"]
        0.97
        >>> OXFORD_2025_BUDGET.item("readout_error").status
        'assumed'
    """

    name: str
    items: tuple[BudgetItem, ...]

    def item(self, name: str) -> BudgetItem:
        """The item called ``name``.

        Raises:
            PhysicsParameterError: If there is none (the message lists the names).
        """
        for it in self.items:
            if it.name == name:
                return it
        raise PhysicsParameterError(
            f"budget {self.name!r} has no item {name!r}; items are {[it.name for it in self.items]}")

    def __getitem__(self, name: str) -> float:
        return self.item(name).value


#: Depolarizing time constant of the Oxford 43Ca+ memory qubit, calibrated on a measured
#: point: ion-photon entanglement stored on the memory qubit (dynamical decoupling) keeps
#: F = 0.81(4) after 10 s (Drmota et al., PRL 130, 090803 (2023)). Attributing all of the
#: loss to storage (conservative), 1/4 + 3/4 e^{-10 s/tau} = 0.81 gives tau ~ 34 s.
OXFORD_MEMORY_DEPOLARIZING_TIME_S = 10.0 / math.log(0.75 / (0.81 - 0.25))

#: Sr+ -> Ca+ transfer fidelity of the Oxford network node (Drmota et al. 2023), the
#: mixed-species interface each module uses once per teleported gate.
_OXFORD_TRANSFER_FIDELITY = 0.977

#: The component errors behind the ``oxford-ions-2025`` cluster (docs/physics.md 3.1): the
#: pair and the mixed-species interface are published numbers; the rest are assumptions,
#: flagged as such (the paper's own SPAM table was not available to us).
OXFORD_2025_BUDGET = ErrorBudget(name="oxford-2025", items=(
    BudgetItem(name="bell_pair_fidelity", value=0.97, status="reported",
               source="heralded 88Sr+-88Sr+ Bell pair, ~97 %: Main et al., Nature 638, 383 (2025)"),
    BudgetItem(name="interface_transfer_fidelity", value=_OXFORD_TRANSFER_FIDELITY, status="reported",
               source="Sr+ -> Ca+ state transfer with mixed-species gates, 0.977(7): Drmota et al., "
                      "PRL 130, 090803 (2023) (the same group's node, an earlier experiment)"),
    BudgetItem(name="two_qubit_gate_error", value=(1.0 - _OXFORD_TRANSFER_FIDELITY) * 16.0 / 15.0,
               status="derived",
               source="two-qubit depolarizing probability p whose process infidelity 15p/16 equals "
                      "1 - interface_transfer_fidelity; every teleported gate uses one such gate per module"),
    BudgetItem(name="memory_depolarizing_time_s", value=OXFORD_MEMORY_DEPOLARIZING_TIME_S, status="derived",
               source="1/4 + 3/4 exp(-10 s/tau) = 0.81(4), ion-photon entanglement after 10 s on the "
                      "43Ca+ memory qubit: Drmota et al., PRL 130, 090803 (2023)"),
    BudgetItem(name="circuit_qubit_t2_s", value=OXFORD_MEMORY_DEPOLARIZING_TIME_S, status="assumed",
               source="the circuit qubits are the same 43Ca+ hyperfine qubits: their dephasing time is "
                      "taken equal to the memory's calibrated time"),
    BudgetItem(name="readout_error", value=1e-3, status="assumed",
               source="not found: the paper's Extended Data Table 1 lists the SPAM errors; 1e-3 is typical "
                      "of Sr+/Ca+ readout"),
    BudgetItem(name="single_qubit_gate_error", value=1e-4, status="assumed",
               source="typical trapped-ion single-qubit gate error; not given in the sources above"),
    BudgetItem(name="bell_pair_rate_hz", value=10.0, status="assumed",
               source="'a few pairs per second'; consistent with storage of ~10 s being more than 100x "
                      "the creation time (Main et al., arXiv:2506.14334)"),
))


def _trapped_ion_oxford_2025() -> LinkPreset:
    """Oxford distributed quantum computing with trapped ions, 2 m apart.

    Source: D. Main et al., "Distributed quantum computing across an optical network link",
    Nature 638, 383 (2025): Sr+ network qubits, Ca+ circuit qubits, ~2 m link, Bell pairs
    ~97 % fidelity, teleported CZ 86 %, Grover 71 %. Memory: the same group stores remotely
    entangled Ca+ memory qubits for ~10 s, more than 100 times the creation time (Main et
    al., arXiv:2506.14334), and measures ion-photon entanglement F = 0.81(4) after 10 s of
    storage on the Ca+ memory qubit (Drmota et al., PRL 130, 090803 (2023)). The memory is
    a depolarizing channel calibrated on that measured point
    (:data:`OXFORD_MEMORY_DEPOLARIZING_TIME_S`, ~34 s), so a pair stored 10 s on both sides
    stays entangled (F ~0.65), as reported.
    """
    length = 0.002
    return LinkPreset(
        name="trapped_ion_oxford_2025", bell_pair=BellPair.werner(OXFORD_2025_BUDGET["bell_pair_fidelity"]),
        bell_pair_rate_hz=OXFORD_2025_BUDGET["bell_pair_rate_hz"], length_km=length,
        memory=QuantumMemory.depolarizing(time_s=OXFORD_MEMORY_DEPOLARIZING_TIME_S),
        herald_latency_s=one_way_latency_s(length),
        source=("Main et al., Nature 638, 383 (2025); memory: Main et al., arXiv:2506.14334 and "
                "Drmota et al., PRL 130, 090803 (2023)"),
        evidence="peer-reviewed",
        notes=("F ~0.97 and 2 m are reported; the rate (10 Hz) is an estimate consistent with "
               "'storage ~10 s, more than 100x the creation time'; memory: depolarizing, "
               "tau ~34 s calibrated on ion-photon F = 0.81 after 10 s of storage (all loss "
               "attributed to storage); pair assumed Werner."))


def _ion_oxford_2020() -> LinkPreset:
    """Oxford ion-ion entanglement at 182 s^-1 and F = 0.940 over 2 m.

    Source: L. J. Stephenson et al., PRL 124, 110501 (2020).
    """
    length = 0.002
    return LinkPreset(
        name="ion_oxford_2020", bell_pair=BellPair.werner(0.94), bell_pair_rate_hz=182.0,
        length_km=length, memory=QuantumMemory.depolarizing(time_s=1.0),
        herald_latency_s=one_way_latency_s(length),
        source="Stephenson et al., PRL 124, 110501 (2020)", evidence="peer-reviewed",
        notes=("F = 0.940 and 182 Hz are reported; memory tau = 1 s is an assumption "
               "(co-trapped 43Ca+ memory qubits); pair assumed Werner."))


def _neutral_atom_welinq_datacentre() -> LinkPreset:
    """Welinq's stated figures for neutral-atom memories inside a datacentre.

    Company claims (quantumnews.in podcast summary; EU CORDIS project 101159159): 95 %
    storage-and-retrieval efficiency (90 % in the EU report), storage up to 1 ms, qubit
    fidelity > 99.5 %, link Bell-pair fidelity > 0.9. Not peer-reviewed.
    """
    length = 0.1
    # qubit fidelity 99.5 % after 1 ms of depolarizing storage: (1 + e)/2 = 0.995 -> e = 0.99
    tau = 1e-3 / -math.log(0.99)
    return LinkPreset(
        name="neutral_atom_welinq_datacentre", bell_pair=BellPair.werner(0.9),
        bell_pair_rate_hz=1e3, length_km=length,
        memory=QuantumMemory.depolarizing(time_s=tau, efficiency=0.95, cutoff_s=1e-3),
        herald_latency_s=one_way_latency_s(length),
        source=("Welinq statements: quantumnews.in podcast summary; EU CORDIS project 101159159"),
        evidence="company-claim",
        notes=("Claims: 95 % efficiency, storage up to 1 ms (used as cutoff_s), qubit fidelity "
               "> 99.5 % (-> depolarizing tau ~0.1 s), Bell fidelity > 0.9. Assumptions: "
               "100 m of fibre, 1 kHz pair rate (no number published)."))


def metro_link_model() -> HeraldedLinkModel:
    """Physical model behind ``metro_50km_frequency_converted`` (docs/physics.md 3).

    50 km of 1550 nm fibre after quantum frequency conversion, double-click heralding at
    the midpoint, eta_node = 0.5 (collection) x 0.5 (QFC) x 0.8 (detector) = 0.2,
    HOM visibility 0.95, memory eta0 = 0.95 with 1 ms Gaussian efficiency decay, qubit
    storage fidelity 99.5 % per ms (depolarizing tau ~0.1 s), cutoff 1 ms.

    Examples:
        >>> round(metro_link_model().success_probability, 5)
        0.002
    """
    tau = 1e-3 / -math.log(0.99)
    memory = QuantumMemory.depolarizing(time_s=tau, efficiency=0.95, efficiency_time_s=1e-3,
                                        efficiency_shape="gaussian", cutoff_s=1e-3)
    return HeraldedLinkModel(
        length_km=50.0, wavelength_nm=1550.0, frequency_conversion_efficiency=0.5,
        collection_efficiency=0.5, detection_efficiency=0.8, visibility=0.95,
        scheme="double-click", preparation_time_s=2e-6, memory=memory)


def _metro_50km_frequency_converted() -> LinkPreset:
    """50 km metro link with QFC to 1550 nm (projection, see :func:`metro_link_model`).

    Sources: docs/physics.md 3; QFC efficiency scale from van Leent et al.,
    Nature 607, 69 (2022) (~57 % external QFC efficiency).
    """
    model = metro_link_model()
    return LinkPreset(
        name="metro_50km_frequency_converted", bell_pair=model.delivered_pair,
        bell_pair_rate_hz=model.mean_pair_rate_hz, length_km=model.length_km,
        memory=model.memory,  # type: ignore[arg-type]
        herald_latency_s=model.herald_latency_s,
        source="welinq projection (docs/physics.md 3); QFC: van Leent et al., Nature 607, 69 (2022)",
        evidence="projection",
        notes=("Derived from HeraldedLinkModel (metro_link_model()); aspirational target "
               "F >= 0.92; rate for a single mode, multiplexing scales it."),
        model=model)


def _ft_ready_projection() -> LinkPreset:
    """Fault-tolerance-ready neutral-atom modules (projection).

    Source: Sinclair et al., arXiv:2408.08955 (2024): Bell pairs at 1-50 MHz with
    errors < 10 % suffice for fault tolerance; F = 0.99 at ~1 MHz is the comfortable
    sub-threshold operating point.
    """
    length = 0.01
    return LinkPreset(
        name="ft_ready_projection", bell_pair=BellPair.werner(0.99), bell_pair_rate_hz=1e6,
        length_km=length, memory=QuantumMemory.depolarizing(time_s=10.0),
        herald_latency_s=one_way_latency_s(length),
        source="Sinclair et al., arXiv:2408.08955 (2024)", evidence="projection",
        notes="Projection; memory tau = 10 s and 10 m of fibre are assumptions.")


def _superconducting_transducer_projection() -> LinkPreset:
    """Superconducting QPUs joined through microwave-optical transducers (projection).

    Built from :func:`~welinq_core.physics.transduction.projected_transducer_model`; today's
    measured transducers (:func:`~welinq_core.physics.transduction.measured_transducer_model`)
    do not yet give entangled pairs.
    """
    model = projected_transducer_model()
    return LinkPreset(
        name="superconducting_transducer_projection", bell_pair=model.delivered_pair,
        bell_pair_rate_hz=model.mean_pair_rate_hz, length_km=model.length_km,
        memory=QuantumMemory.ideal(), herald_latency_s=model.heralded_link.herald_latency_s,
        source=("projection; scheme: Krastanov et al., PRL 127, 040503 (2021); measured baseline: "
                "Xie et al., arXiv:2407.08879 (2024); required improvements: Dirnegger et al., "
                "arXiv:2503.10842 (2025)"),
        evidence="projection",
        notes=("Projected transducer: efficiency 0.5, added noise 1e-3 photons, 10 MHz bandwidth "
               "(measured today: ~0.01 and ~1.2 photons, which give no entanglement); alpha 0.02, "
               "detector 0.9, dark counts 1e-6, 1 us qubit cycle, 10 m fibre are assumptions. "
               "Qubit decoherence during the herald is not included (ideal memory)."))


_REGISTRY: dict[str, Callable[[], LinkPreset]] = {
    "ideal": _ideal,
    "trapped_ion_oxford_2025": _trapped_ion_oxford_2025,
    "ion_oxford_2020": _ion_oxford_2020,
    "neutral_atom_welinq_datacentre": _neutral_atom_welinq_datacentre,
    "metro_50km_frequency_converted": _metro_50km_frequency_converted,
    "ft_ready_projection": _ft_ready_projection,
    "superconducting_transducer_projection": _superconducting_transducer_projection,
}


def link_presets() -> tuple[str, ...]:
    """Names of all link presets, in registry order.

    Examples:
        >>> link_presets()[0]
        'ideal'
    """
    return tuple(_REGISTRY)


def link_preset(name: str) -> LinkPreset:
    """Return the named link preset (a new value each call).

    Raises:
        PhysicsParameterError: If the name is unknown; the message lists valid names.

    Examples:
        >>> link_preset("metro_50km_frequency_converted").evidence
        'projection'
    """
    try:
        factory = _REGISTRY[name]
    except (KeyError, TypeError):
        raise PhysicsParameterError(
            f"link preset name={name!r} is unknown; choose one of {', '.join(_REGISTRY)}"
        ) from None
    return factory()
