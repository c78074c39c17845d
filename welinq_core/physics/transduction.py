"""Superconducting QPUs joined through microwave-optical transducers (docs/physics.md 2.10).

Each node's superconducting qubit emits a microwave photon (bright-state population alpha)
that a transducer converts to a telecom photon with efficiency eta_t; the two optical
photons meet at a midpoint station and one click heralds the pair (optically heralded
entanglement, Krastanov et al., PRL 127, 040503 (2021)). The transducer also emits
noise photons: an input-referred added noise N_add puts eta_t N_add photons per mode on
its optical output. They carry no information about the qubits, so at the station they
act as dark counts: each detector sees on average

    nu = eta_det (eta_t,A N_A eta_f(L_A) + eta_t,B N_B eta_f(L_B)) / 2

noise photons per attempt (the beam splitter sends half to each detector) and clicks with
probability 1 - e^{-nu} (Poisson statistics; thermal statistics differ only at order
nu^2), combined with the detector's own dark counts p_dc as
p_dc,eff = 1 - (1 - p_dc) e^{-nu}. The transducer bandwidth B limits the photon length,
so an attempt lasts at least 1/B on top of the qubit's own reset-and-emit cycle.

Rate and fidelity then follow from the single-click model of
:class:`~welinq_core.physics.heralding.HeraldedLinkModel` with node efficiency
eta_t * eta_det * eta_f and the effective dark-count probability.

Examples:
    >>> link = TransducerLinkModel(length_km=0.01, conversion_efficiency=0.5,
    ...                            added_noise_photons=0.0, bandwidth_hz=1e6)
    >>> round(link.heralded_link.generated_pair.fidelity, 4), round(link.mean_pair_rate_hz)
    (0.9608, 21700)
"""

from __future__ import annotations

import dataclasses
import math

from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import _validation as _v
from welinq_core.physics.bell_pair import BellPair
from welinq_core.physics.fibre import transmittance
from welinq_core.physics.heralding import HeraldedLinkModel
from welinq_core.physics.memory import QuantumMemory

__all__ = ["TransducerLinkModel", "measured_transducer_model", "projected_transducer_model"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class TransducerLinkModel:
    """Heralded link between two superconducting QPUs through microwave-optical transducers.

    Attributes:
        length_km: Fibre length between the two nodes in km (midpoint station).
        conversion_efficiency: Microwave-to-optical photon conversion efficiency eta_t of
            each transducer (including extraction into the fibre), in [0, 1].
        added_noise_photons: Input-referred added noise N_add of each transducer, photons
            per mode, >= 0.
        bandwidth_hz: Transducer bandwidth B in Hz (> 0); an attempt lasts at least 1/B.
        bright_state_population: alpha in (0, 1), population of the emitting state.
            Defaults to 0.05.
        detection_efficiency: Single-photon detector efficiency in [0, 1]. Defaults to 0.9.
        dark_count_probability: Detector dark counts per detector and attempt, in [0, 1].
            Defaults to 1e-6.
        qubit_cycle_s: Reset, excitation and emission of the superconducting qubit per
            attempt, in s. Defaults to 1e-6.
        visibility: Single-photon interference visibility V in [0, 1]. Defaults to 1.0.
        memory: Memory of the qubits while the herald travels. Defaults to None.

    Raises:
        PhysicsParameterError: On out-of-range values (an efficiency outside [0, 1], a
            negative noise photon number, a non-positive bandwidth, ...).
    """

    length_km: float
    conversion_efficiency: float
    added_noise_photons: float
    bandwidth_hz: float
    bright_state_population: float = 0.05
    detection_efficiency: float = 0.9
    dark_count_probability: float = 1e-6
    qubit_cycle_s: float = 1e-6
    visibility: float = 1.0
    memory: QuantumMemory | None = None

    def __post_init__(self) -> None:
        _v.non_negative("length_km", self.length_km, "a fibre length >= 0 km")
        _v.probability("conversion_efficiency", self.conversion_efficiency,
                       "a transducer efficiency in [0, 1], e.g. 0.01")
        _v.non_negative("added_noise_photons", self.added_noise_photons,
                        "an added noise photon number >= 0, e.g. 1.24")
        _v.positive("bandwidth_hz", self.bandwidth_hz, "a transducer bandwidth in Hz > 0, e.g. 1e6")
        _v.probability("detection_efficiency", self.detection_efficiency, "an efficiency in [0, 1]")
        _v.probability("dark_count_probability", self.dark_count_probability,
                       "a per-attempt dark-count probability in [0, 1]")
        _v.non_negative("qubit_cycle_s", self.qubit_cycle_s, "a time >= 0 s")
        _v.probability("visibility", self.visibility, "a visibility in [0, 1]")
        a = _v.real("bright_state_population", self.bright_state_population)
        if not 0.0 < a < 1.0:
            raise PhysicsParameterError(
                f"bright_state_population={self.bright_state_population!r} is outside (0, 1); "
                "give alpha in (0, 1), e.g. 0.05")
        if self.memory is not None and not isinstance(self.memory, QuantumMemory):
            raise PhysicsParameterError(f"memory={self.memory!r} is not a QuantumMemory; give one or None")

    @property
    def noise_photons_per_detector(self) -> float:
        """nu: mean transducer noise photons reaching each detector per attempt.

        Examples:
            >>> TransducerLinkModel(length_km=0.0, conversion_efficiency=0.1, added_noise_photons=1.0,
            ...                     bandwidth_hz=1e6, detection_efficiency=1.0).noise_photons_per_detector
            0.1
        """
        eta_f = transmittance(self.length_km / 2.0, wavelength_nm=1550.0)
        return self.detection_efficiency * self.conversion_efficiency * self.added_noise_photons * eta_f

    @property
    def effective_dark_count_probability(self) -> float:
        """p_dc,eff = 1 - (1 - p_dc) e^{-nu}: clicks from detector dark counts or transducer noise.

        Examples:
            >>> TransducerLinkModel(length_km=0.0, conversion_efficiency=0.1, added_noise_photons=0.0,
            ...                     bandwidth_hz=1e6, dark_count_probability=1e-6).effective_dark_count_probability
            1e-06
        """
        return float(-math.expm1(math.log1p(-self.dark_count_probability) - self.noise_photons_per_detector))

    @property
    def heralded_link(self) -> HeraldedLinkModel:
        """The equivalent single-click :class:`HeraldedLinkModel` (1550 nm, midpoint station).

        Examples:
            >>> m = TransducerLinkModel(length_km=0.0, conversion_efficiency=0.2, added_noise_photons=0.0,
            ...                         bandwidth_hz=2e5)
            >>> m.heralded_link.collection_efficiency, m.heralded_link.preparation_time_s
            (0.2, 6e-06)
        """
        return HeraldedLinkModel(
            length_km=self.length_km, wavelength_nm=1550.0,
            collection_efficiency=self.conversion_efficiency,
            detection_efficiency=self.detection_efficiency,
            scheme="single-click", bright_state_population=self.bright_state_population,
            visibility=self.visibility, dark_count_probability=self.effective_dark_count_probability,
            preparation_time_s=self.qubit_cycle_s + 1.0 / self.bandwidth_hz,
            station="midpoint", memory=self.memory,
        )

    @property
    def mean_pair_rate_hz(self) -> float:
        """Mean heralded pair rate in Hz.

        Examples:
            >>> round(TransducerLinkModel(length_km=0.0, conversion_efficiency=0.01, added_noise_photons=0.0,
            ...                           bandwidth_hz=1e6).mean_pair_rate_hz, 1)
            450.9
        """
        return self.heralded_link.mean_pair_rate_hz

    @property
    def delivered_pair(self) -> BellPair:
        """Pair when both nodes hold the herald (aged in ``memory`` over the herald latency).

        Examples:
            >>> TransducerLinkModel(length_km=0.0, conversion_efficiency=0.01, added_noise_photons=2.0,
            ...                     bandwidth_hz=1e6).delivered_pair.is_entangled
            False
        """
        return self.heralded_link.delivered_pair


def measured_transducer_model() -> TransducerLinkModel:
    """Transducer link with today's measured transducer numbers (and stated assumptions).

    Measured (Xie et al., "Scalable microwave-to-optical transducers at single photon level
    with spins", arXiv:2407.08879 (2024), Yb:YVO4 rare-earth transducer): percent-level
    efficiency (eta_t = 0.01) with input-referred added noise 1.24(9) photons. Assumed:
    1 MHz bandwidth, alpha = 0.05, detector efficiency 0.9, dark counts 1e-6, 1 us qubit
    cycle, 10 m of fibre. Each transducer's noise photons (eta_t N_add ~ 0.012 per attempt)
    outnumber its signal photons (alpha eta_t = 5e-4), so the heralded pair is NOT
    entangled: with N_add ~ 1 no choice of alpha helps (the true-herald weight is about
    alpha / (alpha + N_add)). Dirnegger et al. (IBM), arXiv:2503.10842 (2025), reach the
    same verdict: present transducers sit at the entanglement threshold at best.

    Examples:
        >>> measured_transducer_model().delivered_pair.is_entangled
        False
    """
    return TransducerLinkModel(length_km=0.01, conversion_efficiency=0.01, added_noise_photons=1.24,
                               bandwidth_hz=1e6)


def projected_transducer_model() -> TransducerLinkModel:
    """Transducer link with projected numbers (not measured): eta_t = 0.5, N_add = 1e-3, 10 MHz.

    A target about 50x better in efficiency and 1000x lower in noise than
    :func:`measured_transducer_model`, the scale of improvement Dirnegger et al. (IBM),
    arXiv:2503.10842 (2025) find necessary; alpha = 0.02, detector efficiency 0.9, dark
    counts 1e-6, 1 us qubit cycle, 10 m of fibre.

    Examples:
        >>> m = projected_transducer_model()
        >>> round(m.delivered_pair.fidelity, 3), round(m.mean_pair_rate_hz, -2)
        (0.939, 16300.0)
    """
    return TransducerLinkModel(length_km=0.01, conversion_efficiency=0.5, added_noise_photons=1e-3,
                               bandwidth_hz=1e7, bright_state_population=0.02)
