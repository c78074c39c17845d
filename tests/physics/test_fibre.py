"""Tests of fibre attenuation and latency (physics.md 2.2 and 6.10)."""

from __future__ import annotations

import pytest

from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import attenuation_db_per_km, loss_db, one_way_latency_s, transmittance


def test_latency_is_5_us_per_km():
    assert one_way_latency_s(1.0) == pytest.approx(5e-6, rel=1e-12)
    assert one_way_latency_s(200.0) == pytest.approx(1e-3, rel=1e-12)  # 1 ms <-> 200 km
    assert one_way_latency_s(0.0) == 0.0


def test_loss_at_50_km_by_wavelength():
    assert loss_db(50.0, wavelength_nm=1550) == pytest.approx(10.0)
    assert transmittance(50.0, wavelength_nm=1550) == pytest.approx(0.1, rel=1e-12)
    assert loss_db(50.0, wavelength_nm=780) == pytest.approx(175.0)
    assert attenuation_db_per_km(1310) == pytest.approx(0.33)
    assert attenuation_db_per_km(1545) == 0.2  # nearest tabulated value
    assert transmittance(7.0, attenuation_db_per_km=0.0) == 1.0
    # custom attenuation overrides the wavelength
    assert transmittance(10.0, wavelength_nm=780, attenuation_db_per_km=0.16) == pytest.approx(
        10 ** -0.16)


def test_transmittance_is_multiplicative():
    assert transmittance(30.0) == pytest.approx(transmittance(10.0) * transmittance(20.0), rel=1e-12)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: transmittance(-3.0), r"length_km=-3.0 is negative; give a fibre length >= 0 km"),
    (lambda: one_way_latency_s(-1), "length_km=-1 is negative"),
    (lambda: attenuation_db_per_km(1000), "no tabulated attenuation"),
    (lambda: transmittance(1.0, attenuation_db_per_km=-0.2), "attenuation_db_per_km=-0.2"),
    (lambda: transmittance(1.0, wavelength_nm=None), "give one of them"),
])
def test_bad_fibre_inputs_raise(call, match):
    with pytest.raises(PhysicsParameterError, match=match):
        call()
