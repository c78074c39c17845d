"""Link physics: Bell-diagonal pairs, memories, fibre, heralding, swapping, distillation, QKD.

Everything here is pure and framework-neutral (numpy only). See
``docs/physics.md`` (section 2.x per topic) for the formulas and their sources.

Examples:
    >>> from welinq_core.physics import BellPair, QuantumMemory, age
    >>> mem = QuantumMemory.depolarizing(time_s=1.0)
    >>> round(age(BellPair.werner(0.97), 0.01, 0.01, mem, mem).fidelity, 4)
    0.9557
"""

from welinq_core.physics.bank import (
    BankStatistics,
    SingleSlotBankStatistics,
    simulate_bank,
    single_slot_bank_statistics,
)
from welinq_core.physics.bell_pair import PAULI_LABELS, BellPair, convolve_pauli
from welinq_core.physics.distillation import (
    DISTILLATION_PROTOCOLS,
    DistillationResult,
    DistillationSchedule,
    distill,
    distill_until,
)
from welinq_core.physics.fibre import (
    FIBRE_ATTENUATION_DB_PER_KM,
    SPEED_OF_LIGHT_IN_FIBRE_M_PER_S,
    attenuation_db_per_km,
    loss_db,
    one_way_latency_s,
    transmittance,
)
from welinq_core.physics.presets import (
    EVIDENCE_LEVELS,
    LinkPreset,
    link_preset,
    link_presets,
    metro_link_model,
)
from welinq_core.physics.qkd import (
    DEFAULT_ERROR_CORRECTION_EFFICIENCY,
    KeyRateEstimate,
    bbm92_key_rate,
    bbm92_qber,
    binary_entropy,
    werner_qber_threshold,
)
from welinq_core.physics.swapping import swap, swap_chain
from welinq_core.physics.transduction import (
    TransducerLinkModel,
    measured_transducer_model,
    projected_transducer_model,
)
from welinq_core.physics.heralding import HERALDING_SCHEMES, HERALDING_STATIONS, HeraldedLinkModel
from welinq_core.physics.memory import (
    MEMORY_MODELS,
    QuantumMemory,
    age,
    cutoff_time_s,
    depolarizing_time_from_rate,
    depolarizing_time_from_sequence_coherence_time,
)

__all__ = [
    "age",
    "attenuation_db_per_km",
    "BankStatistics",
    "bbm92_key_rate",
    "bbm92_qber",
    "BellPair",
    "binary_entropy",
    "convolve_pauli",
    "cutoff_time_s",
    "DEFAULT_ERROR_CORRECTION_EFFICIENCY",
    "depolarizing_time_from_rate",
    "depolarizing_time_from_sequence_coherence_time",
    "distill",
    "distill_until",
    "DISTILLATION_PROTOCOLS",
    "DistillationResult",
    "DistillationSchedule",
    "EVIDENCE_LEVELS",
    "FIBRE_ATTENUATION_DB_PER_KM",
    "HeraldedLinkModel",
    "HERALDING_SCHEMES",
    "HERALDING_STATIONS",
    "KeyRateEstimate",
    "link_preset",
    "link_presets",
    "LinkPreset",
    "loss_db",
    "measured_transducer_model",
    "MEMORY_MODELS",
    "metro_link_model",
    "one_way_latency_s",
    "PAULI_LABELS",
    "projected_transducer_model",
    "QuantumMemory",
    "simulate_bank",
    "single_slot_bank_statistics",
    "SingleSlotBankStatistics",
    "SPEED_OF_LIGHT_IN_FIBRE_M_PER_S",
    "swap",
    "swap_chain",
    "TransducerLinkModel",
    "transmittance",
    "werner_qber_threshold",
]
