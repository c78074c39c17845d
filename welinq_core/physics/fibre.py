"""Optical fibre: attenuation by wavelength, transmittance and latency.

Light in standard single-mode fibre travels at c_f ~ 2e8 m/s (group index ~1.47),
so the one-way latency is 5 us per km. Attenuation depends strongly on the
wavelength: 0.2 dB/km in the telecom C-band (1550 nm) but ~3.5 dB/km at the
780 nm rubidium line, which is why quantum frequency conversion (QFC) to the
telecom band is needed beyond a few km (docs/physics.md 2.2).

Examples:
    >>> round(transmittance(50.0, wavelength_nm=1550), 6)
    0.1
    >>> one_way_latency_s(10.0)
    5e-05
"""

from __future__ import annotations

from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import _validation as _v

__all__ = [
    "SPEED_OF_LIGHT_IN_FIBRE_M_PER_S",
    "FIBRE_ATTENUATION_DB_PER_KM",
    "attenuation_db_per_km",
    "loss_db",
    "transmittance",
    "one_way_latency_s",
]

#: Speed of light in fibre used throughout (NetSquid and SeQUeNCe use the same value).
SPEED_OF_LIGHT_IN_FIBRE_M_PER_S: float = 2.0e8

#: Typical attenuation of standard single-mode fibre at common wavelengths, dB/km.
#: 1550 nm (C-band) 0.2; 1310 nm (O-band) 0.33; 1350 nm (SiV converted) 0.3;
#: 852 nm (Cs D2) 3.0; 780 nm (Rb D2) 3.5; 737 nm (SiV) 4.0; 637 nm (NV ZPL) 6.0
#: (780HP-type fibre at short wavelengths; typical values, docs/physics.md 2.2).
FIBRE_ATTENUATION_DB_PER_KM: dict[int, float] = {
    1550: 0.2,
    1350: 0.3,
    1310: 0.33,
    852: 3.0,
    780: 3.5,
    737: 4.0,
    637: 6.0,
}


def attenuation_db_per_km(wavelength_nm: float) -> float:
    """Tabulated fibre attenuation at a wavelength (nearest entry within 15 nm).

    Args:
        wavelength_nm: Vacuum wavelength in nanometres.

    Returns:
        Attenuation in dB/km.

    Raises:
        PhysicsParameterError: If no tabulated wavelength is within 15 nm.

    Examples:
        >>> attenuation_db_per_km(1550)
        0.2
        >>> attenuation_db_per_km(780)
        3.5
    """
    wl = _v.positive("wavelength_nm", wavelength_nm, "a wavelength in nm > 0")
    nearest = min(FIBRE_ATTENUATION_DB_PER_KM, key=lambda k: abs(k - wl))
    if abs(nearest - wl) > 15.0:
        known = ", ".join(str(k) for k in sorted(FIBRE_ATTENUATION_DB_PER_KM))
        raise PhysicsParameterError(
            f"wavelength_nm={wavelength_nm!r} has no tabulated attenuation (known: {known} nm); "
            "pass attenuation_db_per_km explicitly")
    return FIBRE_ATTENUATION_DB_PER_KM[nearest]


def _alpha(wavelength_nm: float | None, attenuation: float | None) -> float:
    if attenuation is not None:
        return _v.non_negative("attenuation_db_per_km", attenuation, "an attenuation in dB/km >= 0")
    if wavelength_nm is None:
        raise PhysicsParameterError(
            "wavelength_nm=None and attenuation_db_per_km=None; give one of them")
    return attenuation_db_per_km(wavelength_nm)


def loss_db(length_km: float, *, wavelength_nm: float | None = 1550.0,
            attenuation_db_per_km: float | None = None) -> float:
    """Fibre loss alpha * L in dB.

    Args:
        length_km: Fibre length in km (>= 0).
        wavelength_nm: Wavelength used to look up alpha. Defaults to 1550 nm.
        attenuation_db_per_km: Explicit alpha; overrides the wavelength. Defaults to None.

    Examples:
        >>> loss_db(50.0, wavelength_nm=780)
        175.0
    """
    length = _v.non_negative("length_km", length_km, "a fibre length >= 0 km")
    return _alpha(wavelength_nm, attenuation_db_per_km) * length


def transmittance(length_km: float, *, wavelength_nm: float | None = 1550.0,
                  attenuation_db_per_km: float | None = None) -> float:
    """Fibre transmittance eta_f = 10^(-alpha L / 10).

    Args:
        length_km: Fibre length in km (>= 0).
        wavelength_nm: Wavelength used to look up alpha. Defaults to 1550 nm.
        attenuation_db_per_km: Explicit alpha in dB/km; overrides the wavelength.

    Raises:
        PhysicsParameterError: If the length is negative or alpha is unknown.

    Examples:
        >>> transmittance(10.0, attenuation_db_per_km=0.3)
        0.5011872336272722
    """
    return 10.0 ** (-loss_db(length_km, wavelength_nm=wavelength_nm,
                             attenuation_db_per_km=attenuation_db_per_km) / 10.0)


def one_way_latency_s(length_km: float) -> float:
    """One-way signalling time over ``length_km`` of fibre (5 us/km).

    Raises:
        PhysicsParameterError: If the length is negative.

    Examples:
        >>> one_way_latency_s(1.0)
        5e-06
    """
    length = _v.non_negative("length_km", length_km, "a fibre length >= 0 km")
    return length * 1e3 / SPEED_OF_LIGHT_IN_FIBRE_M_PER_S
