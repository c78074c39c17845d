"""Entanglement swapping of Bell-diagonal pairs (docs/physics.md 2.5).

A Bell-state measurement (BSM) on qubits B1 and A2 of pairs (A1, B1) and (A2, B2),
followed by the Pauli correction on B2, leaves (A1, B2) in the Bell-diagonal state
whose Pauli-error distribution is the group convolution of the inputs:

    p_out(P) = sum_{Q R = P (mod phase)} p1(Q) p2(R).

For Werner pairs w_out = w1 w2, i.e. F = F1 F2 + (1 - F1)(1 - F2) / 3; for n hops
F = 1/4 + (3/4) prod w_i. Imperfect local operations at the swapping node:

* two-qubit depolarizing of the BSM qubits (rho -> f_g rho + (1 - f_g) I/4) mixes the
  output with I/4, i.e. multiplies the Werner parameter by f_g;
* a readout flip of the bit that sets the Z correction (probability e_z) adds a Z error,
  a flip of the bit that sets the X correction (e_x) adds an X error.

References:
    Briegel, Dur, Cirac, Zoller, PRL 81, 5932 (1998); Dur, Briegel, Cirac, Zoller,
    PRA 59, 169 (1999).
"""

from __future__ import annotations

from collections.abc import Sequence

from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import _validation as _v
from welinq_core.physics.bell_pair import BellPair, convolve_pauli

__all__ = ["swap", "swap_chain"]


def swap(
    pair_1: BellPair,
    pair_2: BellPair,
    *,
    bsm_depolarizing: float = 0.0,
    readout_error_z: float = 0.0,
    readout_error_x: float = 0.0,
) -> BellPair:
    """Swap two Bell-diagonal pairs with a gate-based (deterministic) BSM.

    ::

        A1 ==pair_1== B1   A2 ==pair_2== B2
                      \\   /
                      BSM  --(2 bits)-->  Pauli correction on B2
        A1 ============= out =========== B2

    Args:
        pair_1: Pair (A1, B1).
        pair_2: Pair (A2, B2).
        bsm_depolarizing: Probability 1 - f_g that the two BSM qubits are replaced by I/4
            before the measurement. Defaults to 0.0.
        readout_error_z: Flip probability of the outcome bit that sets the Z correction.
            Defaults to 0.0.
        readout_error_x: Flip probability of the outcome bit that sets the X correction.
            Defaults to 0.0.

    Returns:
        The pair (A1, B2). Pauli errors of the inputs do not depend on the side they sit
        on, so the result does not depend on which node performs the BSM. Classical
        transit time for the corrections is NOT included: age the result with
        :func:`welinq_core.physics.memory.age` for that interval.

    Raises:
        PhysicsParameterError: If a probability is outside [0, 1].

    Examples:
        >>> out = swap(BellPair.werner(0.95), BellPair.werner(0.90), bsm_depolarizing=0.02,
        ...            readout_error_z=0.01, readout_error_x=0.02)
        >>> round(out.fidelity, 4)
        0.8209
    """
    for name, value in (("pair_1", pair_1), ("pair_2", pair_2)):
        if not isinstance(value, BellPair):
            raise PhysicsParameterError(f"{name}={value!r} is not a BellPair; give a BellPair")
    dep = _v.probability("bsm_depolarizing", bsm_depolarizing,
                         "a two-qubit depolarizing probability in [0, 1]")
    e_z = _v.probability("readout_error_z", readout_error_z, "a flip probability in [0, 1]")
    e_x = _v.probability("readout_error_x", readout_error_x, "a flip probability in [0, 1]")
    probs = convolve_pauli(pair_1.probabilities, pair_2.probabilities)
    probs = tuple((1.0 - dep) * p + dep * 0.25 for p in probs)
    readout = ((1 - e_z) * (1 - e_x), (1 - e_z) * e_x, e_z * e_x, e_z * (1 - e_x))
    return BellPair.from_probabilities(convolve_pauli(probs, readout))


def swap_chain(
    pairs: Sequence[BellPair],
    *,
    bsm_depolarizing: float = 0.0,
    readout_error_z: float = 0.0,
    readout_error_x: float = 0.0,
) -> BellPair:
    """End-to-end pair of a repeater chain: swap the link pairs left to right.

    The noise parameters apply to each of the len(pairs) - 1 swaps.

    Args:
        pairs: Elementary pairs in path order (at least one).
        bsm_depolarizing: See :func:`swap`.
        readout_error_z: See :func:`swap`.
        readout_error_x: See :func:`swap`.

    Raises:
        PhysicsParameterError: If ``pairs`` is empty.

    Examples:
        >>> out = swap_chain([BellPair.werner(0.9)] * 3)
        >>> round(out.fidelity, 6) == round(0.25 + 0.75 * (2.6 / 3) ** 3, 6)
        True
    """
    pairs = tuple(pairs)
    if not pairs:
        raise PhysicsParameterError("pairs=() is empty; give at least one BellPair")
    out = pairs[0]
    for nxt in pairs[1:]:
        out = swap(out, nxt, bsm_depolarizing=bsm_depolarizing,
                   readout_error_z=readout_error_z, readout_error_x=readout_error_x)
    return out
