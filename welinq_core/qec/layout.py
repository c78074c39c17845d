"""Rotated surface-code layout split over QPUs along seams.

Coordinates follow stim's ``surface_code:rotated_memory_*`` generator: data qubits sit
at odd ``(x, y)`` in ``[1, 2d - 1]``, measurement (ancilla) qubits at even ``(x, y)`` in
``[0, 2d]``. An ancilla measures X-type stabilizers when ``(x + y) / 2`` is odd, Z-type
when it is even; X-type boundary checks sit on the top and bottom edges, Z-type ones on
the left and right edges. Each ancilla touches its (up to four) diagonal data
neighbours in a fixed order (``N`` for Z checks, ``Z`` for X checks) so that hook
errors run across the logical operators and the circuit distance stays ``d``
(Tomita and Svore, PRA 90, 062320 (2014)).

The lattice is cut into ``num_qpus`` strips of whole data columns (``seam="vertical"``)
or rows (``seam="horizontal"``); an ancilla belongs to the strip of the data column (row)
to its left (above). A CNOT between qubits of different strips crosses a seam and is
performed remotely with one Bell pair.

Examples:
    >>> layout = surface_code_layout(distance=3, num_qpus=2)
    >>> len(layout.data), len(layout.x_ancillas), len(layout.z_ancillas)
    (9, 4, 4)
    >>> layout.qpu_sizes
    (13, 4)
    >>> layout.interface_gates_per_round
    5
"""

from __future__ import annotations

import dataclasses
import numbers

from welinq_core.errors import OptionsError

__all__ = ["SEAMS", "SurfaceCodeLayout", "check_distance", "surface_code_layout"]

#: The two orientations of the cut between QPUs.
SEAMS: tuple[str, ...] = ("vertical", "horizontal")

Coord = tuple[int, int]

# Interaction orders (data offsets from the ancilla), one per CNOT layer.
_X_ORDER: tuple[Coord, ...] = ((1, 1), (-1, 1), (1, -1), (-1, -1))
_Z_ORDER: tuple[Coord, ...] = ((1, 1), (1, -1), (-1, 1), (-1, -1))


def check_distance(distance: object) -> int:
    """Return ``distance`` as an int, or raise :class:`OptionsError` unless it is odd and >= 3.

    Examples:
        >>> check_distance(5)
        5
        >>> check_distance(4)
        Traceback (most recent call last):
        ...
        welinq_core.errors.OptionsError: distance=4 must be an odd integer >= 3 (3, 5, 7, ...); use 3 or 5
    """
    if isinstance(distance, bool) or not isinstance(distance, numbers.Integral) or distance < 3 \
            or distance % 2 == 0:
        hint = f"use {int(distance) - 1} or {int(distance) + 1}" if isinstance(distance, numbers.Integral) \
            and not isinstance(distance, bool) and distance >= 3 else "use 3, 5 or 7"
        raise OptionsError(f"distance={distance!r} must be an odd integer >= 3 (3, 5, 7, ...); {hint}")
    return int(distance)


@dataclasses.dataclass(frozen=True, kw_only=True)
class SurfaceCodeLayout:
    """Qubits of a rotated surface code, their QPUs and the CNOT schedule of one round.

    Attributes:
        distance: Code distance ``d`` (odd, >= 3).
        num_qpus: Number of strips (QPUs) the lattice is cut into, 1 to ``d``.
        seam: ``"vertical"`` (strips of columns) or ``"horizontal"`` (strips of rows).
        data: Coordinates of the ``d**2`` data qubits, sorted by ``(y, x)``.
        x_ancillas: Coordinates of the X-check ancillas, sorted by ``(y, x)``.
        z_ancillas: Coordinates of the Z-check ancillas, sorted by ``(y, x)``.
        qpu_of: QPU index (0-based strip) of every qubit, keyed by coordinate.
        cnot_layers: Four layers of ``(control, target)`` coordinate pairs, one round.
    """

    distance: int
    num_qpus: int
    seam: str
    data: tuple[Coord, ...]
    x_ancillas: tuple[Coord, ...]
    z_ancillas: tuple[Coord, ...]
    qpu_of: dict[Coord, int]
    cnot_layers: tuple[tuple[tuple[Coord, Coord], ...], ...]

    @property
    def ancillas(self) -> tuple[Coord, ...]:
        """All ancillas, sorted by ``(y, x)`` (the measurement order of a round)."""
        return tuple(sorted(self.x_ancillas + self.z_ancillas, key=lambda c: (c[1], c[0])))

    @property
    def qubits(self) -> tuple[Coord, ...]:
        """All qubits in index order: data first, then ancillas."""
        return self.data + self.ancillas

    @property
    def index(self) -> dict[Coord, int]:
        """Qubit index of every coordinate (data first, then ancillas)."""
        return {c: i for i, c in enumerate(self.qubits)}

    @property
    def qpu_sizes(self) -> tuple[int, ...]:
        """Number of qubits (data and ancilla) on each QPU."""
        sizes = [0] * self.num_qpus
        for q in self.qpu_of.values():
            sizes[q] += 1
        return tuple(sizes)

    def neighbours(self, ancilla: Coord) -> tuple[Coord, ...]:
        """Data qubits of an ancilla's stabilizer, in interaction order."""
        order = _X_ORDER if ancilla in set(self.x_ancillas) else _Z_ORDER
        data = set(self.data)
        return tuple((ancilla[0] + dx, ancilla[1] + dy) for dx, dy in order
                     if (ancilla[0] + dx, ancilla[1] + dy) in data)

    def crosses_seam(self, a: Coord, b: Coord) -> bool:
        """Whether a gate between ``a`` and ``b`` joins two QPUs."""
        return self.qpu_of[a] != self.qpu_of[b]

    @property
    def interface_gates_per_round(self) -> int:
        """CNOTs per round that cross a seam (one Bell pair each)."""
        return sum(self.crosses_seam(c, t) for layer in self.cnot_layers for c, t in layer)

    def interface_gates_per_seam(self) -> dict[tuple[int, int], int]:
        """Cross-seam CNOTs per round for each pair of neighbouring QPUs ``(i, i + 1)``."""
        out: dict[tuple[int, int], int] = {}
        for layer in self.cnot_layers:
            for c, t in layer:
                a, b = sorted((self.qpu_of[c], self.qpu_of[t]))
                if a != b:
                    out[(a, b)] = out.get((a, b), 0) + 1
        return out


def surface_code_layout(*, distance: int, num_qpus: int = 1, seam: str = "vertical") -> SurfaceCodeLayout:
    """Build the layout of a distance-``d`` rotated surface code cut into ``num_qpus`` strips.

    Args:
        distance: Odd code distance, at least 3.
        num_qpus: Number of QPUs, 1 to ``distance`` (each holds at least one data column).
        seam: ``"vertical"`` or ``"horizontal"``.

    Raises:
        OptionsError: On an even or too-small distance, an unknown seam, or more QPUs
            than data columns.

    Examples:
        >>> surface_code_layout(distance=3, num_qpus=4)
        Traceback (most recent call last):
        ...
        welinq_core.errors.OptionsError: num_qpus=4 exceeds distance=3: each QPU needs at least one of the 3 data columns; use num_qpus <= 3 or a larger distance
    """
    d = check_distance(distance)
    if seam not in SEAMS:
        raise OptionsError(f"seam={seam!r} is not one of {SEAMS}; use 'vertical' or 'horizontal'")
    if isinstance(num_qpus, bool) or not isinstance(num_qpus, numbers.Integral) or num_qpus < 1:
        raise OptionsError(f"num_qpus={num_qpus!r} must be a positive integer")
    if num_qpus > d:
        lines = "columns" if seam == "vertical" else "rows"
        raise OptionsError(
            f"num_qpus={num_qpus} exceeds distance={d}: each QPU needs at least one of the {d} data "
            f"{lines}; use num_qpus <= {d} or a larger distance")
    k = int(num_qpus)
    data = tuple(sorted(((x, y) for x in range(1, 2 * d, 2) for y in range(1, 2 * d, 2)),
                        key=lambda c: (c[1], c[0])))
    data_set = set(data)
    x_anc: list[Coord] = []
    z_anc: list[Coord] = []
    for y in range(0, 2 * d + 1, 2):
        for x in range(0, 2 * d + 1, 2):
            is_x = ((x + y) // 2) % 2 == 1
            touching = [(x + dx, y + dy) for dx, dy in _X_ORDER if (x + dx, y + dy) in data_set]
            if len(touching) < 2:
                continue
            on_top_bottom = y in (0, 2 * d)
            on_left_right = x in (0, 2 * d)
            if is_x and on_left_right or (not is_x) and on_top_bottom:
                continue
            (x_anc if is_x else z_anc).append((x, y))

    def strip(line_coord: int) -> int:
        # data line index (0..d-1) of an odd coordinate, or of the line left of/above an even one
        line = max(0, (line_coord - 1) // 2) if line_coord % 2 else max(0, line_coord // 2 - 1)
        return line * k // d

    axis = 0 if seam == "vertical" else 1
    qpu_of = {c: strip(c[axis]) for c in data + tuple(x_anc) + tuple(z_anc)}
    x_set = set(x_anc)
    layers = []
    for step in range(4):
        layer = []
        for a in sorted(x_anc + z_anc, key=lambda c: (c[1], c[0])):
            dx, dy = (_X_ORDER if a in x_set else _Z_ORDER)[step]
            q = (a[0] + dx, a[1] + dy)
            if q in data_set:
                layer.append((a, q) if a in x_set else (q, a))
        layers.append(tuple(layer))
    return SurfaceCodeLayout(distance=d, num_qpus=k, seam=seam, data=data, x_ancillas=tuple(x_anc),
                             z_ancillas=tuple(z_anc), qpu_of=qpu_of, cnot_layers=tuple(layers))
