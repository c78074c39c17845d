"""The explicit rendering: the hardware protocol with every noise source where it happens.

Communication qubits, entanglement swapping, cat-entangler/disentangler with
mid-circuit measurement and feed-forward. Each Bell pair is prepared as
``|Phi+>`` and its Bell-diagonal channel is applied to its second qubit. Local
noise acts on data and communication qubits alike (depolarizing after gates, a
bit flip before each measurement); the pair's preparation stands for the link and
gets no gate noise; classically-controlled Pauli corrections are noiseless.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from welinq_core.circuit import Condition, Operation
from welinq_core.cluster import QPU
from welinq_core.noise.channels import pauli_channel_op
from welinq_core.noise.pauli import PAULIS
from welinq_core.noise.program import NoisyProgram
from welinq_core.noise.sources import NoiseSources

__all__ = ["render_explicit"]


def render_explicit(src: NoiseSources) -> NoisyProgram:
    """The explicit rendering of ``src.p``: communication qubits, swapping, feed-forward."""
    prog = src.p
    ex = prog.explicit_circuit()
    ops_in = ex.circuit.operations
    cursor = 0
    out: list[Operation] = []

    def take(name: str) -> Operation:
        nonlocal cursor
        op = ops_in[cursor]
        if op.name != name:  # the lowering's rendering changed shape: fail loudly
            raise AssertionError(
                f"noise stage expected {name!r} at explicit op {cursor}, found {op.name!r}; "
                "welinq_core.noise must follow DistributedProgram.explicit_circuit"
            )
        cursor += 1
        return op

    def emit(qs: Sequence[int], terms: Sequence[tuple[str, float]] | None, kind: str,
             cond: Condition | None = None) -> None:
        if terms is None:
            return
        ch = pauli_channel_op(qs, terms, cond)
        if ch is not None:
            out.append(ch)
            src.count(kind)

    idles = src.step_idles()

    def idle_before(s: int) -> None:
        for q, t in idles.get(s, ()):
            emit((q,), src.idle_terms(src.qpu_of(q), t), "idle")

    copy_qubit: dict[int, int] = {}  # packet -> communication qubit holding its copy

    def gate_then_measure(gate: str, qpu: QPU) -> None:
        """A protocol gate (``h``: an X-basis measurement; ``cx``: a parity) then ``measure``, noisy."""
        op = take(gate)
        out.append(op)
        emit(op.qubits, src.gate_terms(qpu, len(op.qubits)), "protocol")
        op = take("measure")
        emit(op.qubits, src.readout_terms(qpu), "protocol")
        out.append(op)

    def copy_idle_before(s: int, packet: int) -> None:
        emit((copy_qubit[packet],), src.copy_idle_terms(s, packet), "copy_idle")

    for s, step in enumerate(prog.steps):
        if step.kind == "local":
            op = ops_in[cursor]
            cursor += 1
            idle_before(s)
            _local(src, op, emit, out)
        elif step.kind == "remote":
            op = ops_in[cursor]
            cursor += 1
            pk = prog.packets[step.packet]  # type: ignore[index]
            idle_before(s)
            copy_idle_before(s, pk.index)
            out.append(op)
            # (a window packet also runs the control's one-qubit gates on the copy)
            emit(op.qubits, src.gate_terms(src.cluster.qpu(pk.target), len(op.qubits)), "gate", op.condition)
        elif step.kind == "open":
            pk = prog.packets[step.packet]  # type: ignore[index]
            ends = []
            for k, pair in enumerate(pk.bell_pairs):
                for name in ("reset", "reset", "h", "cx"):
                    out.append(take(name))
                qa, qb = out[-1].qubits
                ends.append((qa, qb))
                pr = src.states[pair]
                emit((qb,), tuple(zip(PAULIS, pr)), "pair")
            copy_qubit[pk.index] = ends[-1][1]  # the last hop's far half becomes the copy
            for k in range(1, len(pk.bell_pairs)):
                inner = src.cluster.qpu(pk.route[k])
                op = take("cx")
                out.append(op)
                emit(op.qubits, src.gate_terms(inner, 2), "swap")
                op = take("h")
                out.append(op)
                emit(op.qubits, src.gate_terms(inner, 1), "swap")
                for _ in range(2):
                    op = take("measure")
                    emit(op.qubits, src.readout_terms(inner), "swap")
                    out.append(op)
                out.append(take("x"))
                out.append(take("z"))
            source = src.cluster.qpu(pk.source)
            idle_before(s)
            if pk.window == "x":  # a copy made in the X basis: h on the control first
                op = take("h")
                out.append(op)
                emit(op.qubits, src.gate_terms(source, 1), "protocol")
            gate_then_measure("cx", source)
            op = take("x")
            out.append(op)
            if pk.window == "x":  # ... and h on the copy
                op = take("h")
                out.append(op)
                emit(op.qubits, src.gate_terms(src.cluster.qpu(pk.target), 1), "protocol")
        elif step.kind == "close":
            pk = prog.packets[step.packet]  # type: ignore[index]
            target = src.cluster.qpu(pk.target)
            copy_idle_before(s, pk.index)
            gate_then_measure("h", target)
            idle_before(s)
            out.append(take("z"))
        elif step.kind == "teleport" and prog.teleports[step.teleport].packet is not None:  # type: ignore[index]
            # Through the copy: h and measure the qubit at the source, Z on the copy, relabel.
            tp = prog.teleports[step.teleport]  # type: ignore[index]
            source = src.cluster.qpu(tp.source)
            copy_idle_before(s, tp.packet)  # type: ignore[arg-type]
            copy_qubit.pop(tp.packet)  # type: ignore[arg-type]
            idle_before(s)
            gate_then_measure("h", source)
            out.append(take("z"))
            out.append(take("swap"))
            src.where[tp.qubit] = tp.target
        elif step.kind == "teleport":
            _teleport(src, prog.teleports[step.teleport], take, emit, out,  # type: ignore[index]
                                    lambda s=s: idle_before(s))
    if cursor != len(ops_in):
        raise AssertionError("noise stage did not consume the whole explicit circuit; please report this bug")
    circuit = ex.circuit.with_operations(out)
    return NoisyProgram(
        circuit=circuit,
        num_user_clbits=ex.num_user_clbits,
        num_data_qubits=ex.num_data_qubits,
        mode="explicit",
        summary=src.summary("explicit", {"effective_exact": True, "randomness_qubits": 0}),
    )


def _local(src: NoiseSources, op: Operation, emit: Any, out: list[Operation]) -> None:
    """A data-qubit op with its local noise (explicit mode)."""
    if op.name == "measure":
        for q in op.qubits:
            emit((q,), src.readout_terms(src.qpu_of(q)), "readout", op.condition)
        out.append(op)
        return
    out.append(op)
    if op.is_gate and op.name != "pauli_channel":
        emit(op.qubits, src.gate_terms(src.qpu_of(op.qubits[0]), len(op.qubits)), "gate", op.condition)

# -- effective -------------------------------------------------------------

def _teleport(src: NoiseSources, tp: Any, take: Any, emit: Any, out: list[Operation], idle: Any) -> None:
    """Pairs, swapping, then the Bell measurement of q at the source (noisy like a swap);
    corrections and the closing relabel ``swap`` are noiseless."""
    for pair in tp.bell_pairs:
        for name in ("reset", "reset", "h", "cx"):
            out.append(take(name))
        emit((out[-1].qubits[1],), tuple(zip(PAULIS, src.states[pair])), "pair")
    for k in range(1, len(tp.bell_pairs)):
        _noisy_bell_measurement(src, src.cluster.qpu(tp.route[k]), take, emit, out, "swap")
        out.append(take("x"))
        out.append(take("z"))
    idle()
    _noisy_bell_measurement(src, src.cluster.qpu(tp.source), take, emit, out, "protocol")
    for name in ("x", "z", "swap"):
        out.append(take(name))
    src.where[tp.qubit] = tp.target

def _noisy_bell_measurement(src: NoiseSources, qpu: QPU, take: Any, emit: Any, out: list[Operation], where: str) -> None:
    """The next ``cx, h, measure, measure`` of the rendering, each with ``qpu``'s gate or readout noise."""
    for name, nq in (("cx", 2), ("h", 1)):
        out.append(take(name))
        emit(out[-1].qubits, src.gate_terms(qpu, nq), where)
    for _ in range(2):
        op = take("measure")
        emit(op.qubits, src.readout_terms(qpu), where)
        out.append(op)

