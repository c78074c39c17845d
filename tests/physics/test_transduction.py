"""Transducer links: the single-click heralding model with transducer efficiency and noise."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_link_corrections import _single_click_reference

from welinq_core.cluster import Cluster
from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import (
    TransducerLinkModel,
    link_preset,
    measured_transducer_model,
    projected_transducer_model,
    transmittance,
)


@pytest.mark.parametrize("eta_t, n_add, length_km", [(0.5, 0.0, 0.01), (0.3, 0.01, 5.0), (0.01, 1.24, 0.01)])
def test_transducer_link_matches_the_exact_single_click_model_with_noise_clicks(eta_t, n_add, length_km):
    m = TransducerLinkModel(length_km=length_km, conversion_efficiency=eta_t, added_noise_photons=n_add,
                            bandwidth_hz=2e6, detection_efficiency=0.8, dark_count_probability=1e-6)
    eta = eta_t * 0.8 * transmittance(length_km / 2, wavelength_nm=1550.0)
    nu = 0.8 * eta_t * n_add * transmittance(length_km / 2, wavelength_nm=1550.0)  # per detector
    p_dc_eff = 1 - (1 - 1e-6) * math.exp(-nu)
    assert m.effective_dark_count_probability == pytest.approx(p_dc_eff, rel=1e-12)
    p_herald, probs = _single_click_reference(0.05, eta, eta, p_dc_eff)
    assert m.heralded_link.success_probability == pytest.approx(p_herald, rel=1e-12)
    np.testing.assert_allclose(m.delivered_pair.probabilities, probs, atol=1e-12)
    # the bandwidth sets the photon length: attempt = qubit cycle + 1/B (+ herald latency)
    assert m.heralded_link.attempt_duration_s == pytest.approx(1e-6 + 5e-7 + length_km * 5e-6, rel=1e-12)
    assert m.mean_pair_rate_hz == pytest.approx(p_herald / m.heralded_link.attempt_duration_s, rel=1e-12)


def test_noise_photons_cost_fidelity_and_todays_numbers_give_no_entanglement():
    fids = [TransducerLinkModel(length_km=0.01, conversion_efficiency=0.1, added_noise_photons=n,
                                bandwidth_hz=1e6).delivered_pair.fidelity for n in (0.0, 0.01, 0.1, 1.0)]
    assert fids == sorted(fids, reverse=True) and fids[0] > 0.9
    assert not measured_transducer_model().delivered_pair.is_entangled
    projected = projected_transducer_model()
    assert projected.delivered_pair.fidelity > 0.9
    preset = link_preset("superconducting_transducer_projection")
    assert preset.evidence == "projection" and preset.bell_pair == projected.delivered_pair
    cluster = Cluster.preset("superconducting-transducer")
    assert cluster.link("qpu0", "qpu1").bell_pair_fidelity == pytest.approx(projected.delivered_pair.fidelity)


@pytest.mark.parametrize("field, value, word", [
    ("conversion_efficiency", 1.5, "conversion_efficiency=1.5 is outside"),
    ("conversion_efficiency", -0.1, "conversion_efficiency=-0.1 is outside"),
    ("added_noise_photons", -1.0, "added_noise_photons=-1.0 is negative"),
    ("bandwidth_hz", 0.0, "bandwidth_hz=0.0 is not positive"),
    ("bright_state_population", 1.0, "bright_state_population=1.0 is outside"),
])
def test_bad_transducer_input_raises_project_errors(field, value, word):
    kwargs = dict(length_km=1.0, conversion_efficiency=0.1, added_noise_photons=0.1, bandwidth_hz=1e6)
    kwargs[field] = value
    with pytest.raises(PhysicsParameterError, match=word):
        TransducerLinkModel(**kwargs)
    assert issubclass(PhysicsParameterError, ValueError)
