"""Heralded entanglement generation over a fibre link (docs/physics.md 2.3).

Per-node end-to-end photon efficiency of one attempt:

    eta_X = p_emit * eta_collect * eta_QFC * eta_f(L_X) * eta_det,

with L_X the fibre from node X to the detection station. Attempts are Bernoulli
trials, so the number of attempts to success is geometric.

Double-click (two-photon, Barrett-Kok): p = eta_A eta_B / 2 and F = (1 + V) / 2,
the remaining weight being a phase (Z) error (distinguishable photons mix
Psi+ with Psi-). Single-click (Cabrillo; Humphreys et al. 2018): each node emits
with bright-state population alpha; exact no-dark-count
p = alpha (eta_A + eta_B) - alpha^2 eta_A eta_B, the heralded state being the
|11> admixture (twirled into X/Y errors) plus a Psi state whose coherence is
sqrt(V) exp(-sigma^2/2) 2 sqrt(eta_A eta_B)/(eta_A + eta_B), so that
F ~ (1 - alpha)(1 + sqrt(V) e^{-sigma^2/2}) / 2 for a symmetric link.
Dark counts add false heralds. Single-click (exact, threshold detectors, herald =
exactly one of two detectors clicks): p_false = 2 p_dc (1 - p_dc)(1 - p_photon), where
1 - p_photon = (1 - alpha eta_A)(1 - alpha eta_B) is the probability that no photon
reaches the station; the false-herald state is the matter state conditioned on no
photon (mostly |00>, i.e. fidelity ~ alpha to the target). A dark count needs no
photon, so this error grows with distance. Double-click (leading order):
p_false = p_dc (eta_A + eta_B), delivering the maximally mixed state.
Closed forms and derivations: docs/physics.md 2.3.

References:
    Barrett and Kok, PRA 71, 060310 (2005). Cabrillo et al., PRA 59, 1025 (1999).
    Humphreys et al., Nature 558, 268 (2018). Hermans et al., NJP 25, 013011 (2023).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import _validation as _v
from welinq_core.physics.bell_pair import BellPair
from welinq_core.physics.fibre import one_way_latency_s, transmittance
from welinq_core.physics.memory import QuantumMemory, age

__all__ = ["HeraldedLinkModel", "HERALDING_SCHEMES", "HERALDING_STATIONS"]

HERALDING_SCHEMES: tuple[str, ...] = ("double-click", "single-click")
HERALDING_STATIONS: tuple[str, ...] = ("midpoint", "at-node")


@dataclasses.dataclass(frozen=True, kw_only=True)
class HeraldedLinkModel:
    """Physical model of a heralded two-node entanglement link.

    Attributes:
        length_km: Node-to-node fibre length in km.
        wavelength_nm: Wavelength in the fibre (after conversion) in nm; used to look up the
            attenuation. Defaults to 1550 nm.
        attenuation_db_per_km: Explicit attenuation in dB/km; overrides wavelength_nm.
            Defaults to None (use the wavelength table).
        frequency_conversion_efficiency: eta_QFC in [0, 1]. Defaults to 1.0 (no conversion).
        emission_probability: p_emit in [0, 1]. Defaults to 1.0.
        collection_efficiency: eta_collect in [0, 1]. Defaults to 1.0.
        detection_efficiency: eta_det in [0, 1]. Defaults to 1.0.
        scheme: ``"double-click"`` or ``"single-click"``. Defaults to ``"double-click"``.
        bright_state_population: alpha in (0, 1) for single-click. Defaults to None
            (required for single-click, must be None for double-click).
        visibility: Two-photon (HOM) / single-photon interference visibility V in [0, 1].
            Defaults to 1.0.
        phase_noise_std_rad: Optical phase noise sigma (single-click only). Defaults to 0.0.
        dark_count_probability: Dark-count probability per detector per attempt in [0, 1].
            Defaults to 0.0.
        preparation_time_s: Time to prepare and emit one attempt, in s. Defaults to 2e-6.
        waits_for_herald: If True (a single communication qubit per mode) each attempt also
            waits the herald latency; if False attempts repeat every preparation_time_s.
            Defaults to True.
        num_modes: Multiplexed modes per attempt cycle (>= 1). Defaults to 1.
        station: ``"midpoint"`` (detectors halfway) or ``"at-node"`` (detectors at node B).
            Defaults to ``"midpoint"``.
        memory: Memory holding the communication qubits while the herald travels, applied on
            both sides. Defaults to None (no decoherence).

    Examples:
        >>> link = HeraldedLinkModel(length_km=50.0, collection_efficiency=0.1, visibility=0.95)
        >>> round(link.success_probability, 6), round(link.delivered_pair.fidelity, 3)
        (0.0005, 0.975)
        >>> round(link.mean_pair_rate_hz, 2)
        1.98
    """

    length_km: float
    wavelength_nm: float | None = 1550.0
    attenuation_db_per_km: float | None = None
    frequency_conversion_efficiency: float = 1.0
    emission_probability: float = 1.0
    collection_efficiency: float = 1.0
    detection_efficiency: float = 1.0
    scheme: str = "double-click"
    bright_state_population: float | None = None
    visibility: float = 1.0
    phase_noise_std_rad: float = 0.0
    dark_count_probability: float = 0.0
    preparation_time_s: float = 2e-6
    waits_for_herald: bool = True
    num_modes: int = 1
    station: str = "midpoint"
    memory: QuantumMemory | None = None

    def __post_init__(self) -> None:
        _v.non_negative("length_km", self.length_km, "a fibre length >= 0 km")
        for name in ("frequency_conversion_efficiency", "emission_probability",
                     "collection_efficiency", "detection_efficiency"):
            _v.probability(name, getattr(self, name), "an efficiency in [0, 1]")
        _v.probability("visibility", self.visibility, "a visibility in [0, 1]")
        _v.probability("dark_count_probability", self.dark_count_probability,
                       "a per-attempt dark-count probability in [0, 1]")
        _v.non_negative("phase_noise_std_rad", self.phase_noise_std_rad, "a phase noise >= 0 rad")
        _v.non_negative("preparation_time_s", self.preparation_time_s, "a time >= 0 s")
        _v.choice("scheme", self.scheme, HERALDING_SCHEMES)
        _v.choice("station", self.station, HERALDING_STATIONS)
        _v.positive_int("num_modes", self.num_modes)
        if self.scheme == "single-click":
            if self.bright_state_population is None:
                raise PhysicsParameterError(
                    "bright_state_population=None but scheme='single-click' needs it; give "
                    "alpha in (0, 1), e.g. 0.05")
            a = _v.real("bright_state_population", self.bright_state_population)
            if not 0.0 < a < 1.0:
                raise PhysicsParameterError(
                    f"bright_state_population={self.bright_state_population!r} is outside (0, 1); "
                    "give alpha in (0, 1), e.g. 0.05")
        elif self.bright_state_population is not None:
            raise PhysicsParameterError(
                f"bright_state_population={self.bright_state_population!r} is only used by "
                "scheme='single-click'; leave it None for double-click")
        if self.memory is not None and not isinstance(self.memory, QuantumMemory):
            raise PhysicsParameterError(
                f"memory={self.memory!r} is not a QuantumMemory; give one or None")
        # resolve attenuation now so unknown wavelengths fail at construction
        transmittance(0.0, wavelength_nm=self.wavelength_nm,
                      attenuation_db_per_km=self.attenuation_db_per_km)
        if self.memory is not None and self.memory.cutoff_s is not None:
            t_a, _ = self._waiting_times_s()
            if self.memory.cutoff_s < t_a:
                raise PhysicsParameterError(
                    f"memory cutoff_s={self.memory.cutoff_s!r} is shorter than the herald latency "
                    f"{t_a!r} s, so every pair would be discarded before it is heralded; raise "
                    "cutoff_s or shorten the link")

    # ------------------------------------------------------------- efficiencies
    def _fibre_lengths_km(self) -> tuple[float, float]:
        if self.station == "midpoint":
            return (self.length_km / 2.0, self.length_km / 2.0)
        return (self.length_km, 0.0)

    @property
    def node_efficiencies(self) -> tuple[float, float]:
        """(eta_A, eta_B): photon emission-to-detection probability from each node.

        Examples:
            >>> HeraldedLinkModel(length_km=0.0, detection_efficiency=0.8).node_efficiencies
            (0.8, 0.8)
        """
        local = (self.emission_probability * self.collection_efficiency
                 * self.frequency_conversion_efficiency * self.detection_efficiency)
        return tuple(  # type: ignore[return-value]
            local * transmittance(l_x, wavelength_nm=self.wavelength_nm,
                                  attenuation_db_per_km=self.attenuation_db_per_km)
            for l_x in self._fibre_lengths_km())

    def _true_and_false_probabilities(self) -> tuple[float, float]:
        """(p_true, p_false): herald probabilities from photons and from dark counts alone.

        Double-click: p_true = eta_A eta_B / 2, p_false = p_dc (eta_A + eta_B) (one real
        photon plus one dark count, leading order).

        Single-click (exact for threshold detectors, two detectors behind the station's
        beam splitter, herald = exactly one click): with P0 = (1 - alpha eta_A)(1 - alpha
        eta_B) = 1 - p_photon the probability that no photon reaches the station,
        p_true = (1 - p_dc) p_photon (the other detector must stay dark) and
        p_false = 2 p_dc (1 - p_dc) P0 (no photon, one of the two detectors dark-clicks).
        A dark count needs no photon, so p_false does not shrink with distance.
        """
        eta_a, eta_b = self.node_efficiencies
        p_dc = self.dark_count_probability
        if self.scheme == "double-click":
            return eta_a * eta_b / 2.0, p_dc * (eta_a + eta_b)
        a = self.bright_state_population
        p_photon = a * (eta_a + eta_b) - a * a * eta_a * eta_b  # type: ignore[operator]
        p_none = (1.0 - a * eta_a) * (1.0 - a * eta_b)  # type: ignore[operator]
        return (1.0 - p_dc) * p_photon, 2.0 * p_dc * (1.0 - p_dc) * p_none

    def _false_herald_state(self) -> tuple[float, float, float, float]:
        """Bell-diagonal state heralded by a dark count alone.

        Double-click: maximally mixed (leading-order model). Single-click: no photon reached
        the station, so each node is |1> (emitted, photon lost) with probability
        alpha (1 - eta_X) / (1 - alpha eta_X), else |0>, with no coherence. After the
        frame change that maps the heralded Psi state to Phi+ (an X on qubit B), |01> and
        |10> become Phi+/Phi- (half each) and |00>, |11> become Psi+/Psi- (half each).
        """
        if self.scheme == "double-click":
            return (0.25, 0.25, 0.25, 0.25)
        eta_a, eta_b = self.node_efficiencies
        a = self.bright_state_population
        one_a = a * (1.0 - eta_a) / (1.0 - a * eta_a)  # type: ignore[operator]
        one_b = a * (1.0 - eta_b) / (1.0 - a * eta_b)  # type: ignore[operator]
        anti = one_a * (1.0 - one_b) + one_b * (1.0 - one_a)  # P(01) + P(10)
        same = 1.0 - anti  # P(00) + P(11)
        return (anti / 2.0, same / 2.0, same / 2.0, anti / 2.0)

    @property
    def success_probability_per_mode(self) -> float:
        """Herald probability of one mode in one attempt (true + dark-count heralds).

        Examples:
            >>> HeraldedLinkModel(length_km=0.0).success_probability_per_mode
            0.5
        """
        p_true, p_false = self._true_and_false_probabilities()
        return min(p_true + p_false, 1.0)

    @property
    def success_probability(self) -> float:
        """Probability that one attempt cycle heralds a pair: 1 - (1 - p)^M for M modes.

        Examples:
            >>> round(HeraldedLinkModel(length_km=0.0, num_modes=2).success_probability, 6)
            0.75
        """
        p = self.success_probability_per_mode
        return float(-np.expm1(self.num_modes * np.log1p(-p))) if p < 1.0 else 1.0

    # ------------------------------------------------------------------ timing
    @property
    def herald_latency_s(self) -> float:
        """Time from emission until both nodes know the outcome, in s.

        L / c_f for a midpoint station (photon L/2 + message L/2), 2 L / c_f for a
        station at node B (photon from A travels L, then the message returns).

        Examples:
            >>> HeraldedLinkModel(length_km=10.0).herald_latency_s
            5e-05
        """
        factor = 1.0 if self.station == "midpoint" else 2.0
        return factor * one_way_latency_s(self.length_km)

    def _waiting_times_s(self) -> tuple[float, float]:
        """Idle time of qubit A and qubit B between emission and herald receipt."""
        if self.station == "midpoint":
            t = one_way_latency_s(self.length_km)
            return (t, t)
        # the detectors sit at node B: A's photon travels L/c, B emits L/c later so that
        # both photons meet, B learns the outcome on detection (waits ~0), A a further L/c
        return (2.0 * one_way_latency_s(self.length_km), 0.0)

    @property
    def attempt_duration_s(self) -> float:
        """Duration of one attempt cycle: t_prep (+ herald latency if the qubit waits).

        Examples:
            >>> round(HeraldedLinkModel(length_km=10.0).attempt_duration_s, 12)
            5.2e-05
        """
        return self.preparation_time_s + (self.herald_latency_s if self.waits_for_herald else 0.0)

    @property
    def mean_time_to_herald_s(self) -> float:
        """Expected time from the first attempt until a herald is received, in s.

        Examples:
            >>> HeraldedLinkModel(length_km=0.0, preparation_time_s=1e-6).mean_time_to_herald_s
            2e-06
        """
        extra = 0.0 if self.waits_for_herald else self.herald_latency_s
        p = self.success_probability
        if p == 0.0:
            return float("inf")
        return self.attempt_duration_s / p + extra

    @property
    def mean_pair_rate_hz(self) -> float:
        """Mean heralded pair rate R = p_eff / T_att in Hz (0 if p = 0 or T_att infinite).

        Examples:
            >>> HeraldedLinkModel(length_km=0.0, preparation_time_s=1e-6).mean_pair_rate_hz
            500000.0
        """
        t = self.attempt_duration_s
        if t == 0.0:
            raise PhysicsParameterError(
                "attempt_duration_s is 0 (preparation_time_s=0 and no herald wait); give "
                "preparation_time_s > 0 to get a finite rate")
        return self.success_probability / t

    # --------------------------------------------------------------- the pair
    @property
    def generated_pair(self) -> BellPair:
        """Heralded pair right after the herald, before any memory decoherence.

        Examples:
            >>> pair = HeraldedLinkModel(length_km=1.0, visibility=0.9).generated_pair
            >>> [round(p, 12) for p in pair.probabilities]
            [0.95, 0.0, 0.0, 0.05]
        """
        eta_a, eta_b = self.node_efficiencies
        p_true, p_false = self._true_and_false_probabilities()
        if p_true + p_false == 0.0:
            raise PhysicsParameterError(
                "the link never heralds (all efficiencies multiply to 0); raise the "
                "efficiencies or shorten the link")
        if self.scheme == "double-click":
            v = self.visibility
            true_state = ((1.0 + v) / 2.0, 0.0, 0.0, (1.0 - v) / 2.0)
        else:
            a = self.bright_state_population
            p_photon = a * (eta_a + eta_b) - a * a * eta_a * eta_b  # type: ignore[operator]
            p11 = a * a * (eta_a + eta_b - eta_a * eta_b) / p_photon  # type: ignore[operator]
            balance = 2.0 * np.sqrt(eta_a * eta_b) / (eta_a + eta_b)
            c = float(np.sqrt(self.visibility) * np.exp(-self.phase_noise_std_rad ** 2 / 2.0)
                      * balance)
            psi = 1.0 - p11
            true_state = (psi * (1.0 + c) / 2.0, p11 / 2.0, p11 / 2.0, psi * (1.0 - c) / 2.0)
        w_true = p_true / (p_true + p_false)
        false_state = self._false_herald_state()
        probs = [w_true * x + (1.0 - w_true) * y for x, y in zip(true_state, false_state)]
        return BellPair.from_probabilities(probs)

    @property
    def delivered_pair(self) -> BellPair:
        """Pair when both nodes have the herald: :attr:`generated_pair` aged in memory.

        Each qubit idles from its emission until the herald arrives (L/c_f on both sides
        for a midpoint station), so fidelity falls with distance even at fixed hardware
        (the SeQUeNCe #377 pitfall).

        Examples:
            >>> from welinq_core.physics.memory import QuantumMemory
            >>> link = HeraldedLinkModel(length_km=20.0,
            ...                          memory=QuantumMemory.depolarizing(time_s=1e-3))
            >>> round(link.delivered_pair.fidelity, 4)  # 1/4 + 3/4 exp(-2 * 100 us / 1 ms)
            0.864
        """
        pair = self.generated_pair
        if self.memory is None:
            return pair
        t_a, t_b = self._waiting_times_s()
        return age(pair, t_a, t_b, self.memory, self.memory)

    # ---------------------------------------------------------------- sampling
    def sample_time_to_herald_s(
        self, num_samples: int, *, seed: int | np.random.Generator | None = None
    ) -> np.ndarray:
        """Draw times from the first attempt until a herald is received.

        Attempts ~ Geometric(p_eff), time = attempts * attempt_duration_s (plus the herald
        latency if attempts do not wait for it). Same seed and inputs give the same samples
        within one welinq version.

        Args:
            num_samples: Number of samples (>= 1).
            seed: Seed or Generator for ``np.random.default_rng``.

        Raises:
            PhysicsParameterError: If the link never heralds.

        Examples:
            >>> link = HeraldedLinkModel(length_km=1.0)
            >>> link.sample_time_to_herald_s(3, seed=1).shape
            (3,)
        """
        n = _v.positive_int("num_samples", num_samples)
        p = self.success_probability
        if p == 0.0:
            raise PhysicsParameterError(
                "success_probability is 0, so no herald ever arrives; raise the efficiencies")
        rng = _v.as_generator(seed)
        attempts = rng.geometric(p, size=n)
        extra = 0.0 if self.waits_for_herald else self.herald_latency_s
        return attempts * self.attempt_duration_s + extra
