"""Shot groups that differ only in fixed Paulis, run on one parameterised circuit.

Shots are grouped by the noise events they drew (:func:`welinq_core.shots.plan_shots`);
groups of one run differ only in the Paulis those events put at fixed places, the
*slots* of :meth:`~welinq_core.noise.drawn.DrawnEvents.slot_template`. That template is
converted to Qiskit once, with one parameterised ``u`` gate per placeholder, and every
group is a binding of its parameters (the Pauli it drew there, or the identity): Aer
runs many groups per call as bound experiments, instead of one converted circuit and
one call per group.

Each call leaves out the placeholders none of its groups uses (:func:`pruned_template`):
Aer spends a pass over the state on an identity ``u`` as on any gate.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from welinq_core.noise.drawn import SLOT_MARKER
from welinq_core.pipeline import CompiledProgram
from qiskit_welinq import engine
from qiskit_welinq.aer_methods import fit_to_method
from qiskit_welinq.convert import circuit_to_qiskit
from qiskit_welinq.engine_result import EngineResult

__all__ = ["BRANCH_MIN_SHOTS", "TEMPLATE_GROUPS_PER_CALL", "pruned_template", "run_template", "template_jobs"]

#: Bound experiments per Aer call. Each call drops the placeholders none of its groups uses
#: and costs one conversion of the circuit (~10 ms); Aer's cost per bound experiment also
#: grows with the experiments of a call. Measured (QFT-12 on 3 QPUs, F = 0.97, 199
#: placeholders, one thread, CPU time per single-shot group): all groups in one call 7.8 ms,
#: 128 per call 6.6-7.1 ms, pruned 128 per call 5.3 ms, pruned 32 per call 5.3-5.5 ms; whole
#: runs were fastest with 64.
TEMPLATE_GROUPS_PER_CALL = 64
#: Groups of fewer shots run as that many single-shot experiments; larger groups run alone,
#: with their exact shot count and Aer's shot branching. Measured (QAOA-12, CPU time per
#: shot, one Aer thread, groups padded to powers of two as before): single-shot experiments
#: 3.8 ms, 2-shot experiments 7.0 ms, 4-shot 5.0 ms, 64-shot 2.9 ms, 256-shot 2.7 ms.
BRANCH_MIN_SHOTS = 64


def template_jobs(compiled: CompiledProgram, minors: list, method: str) -> list[tuple[Any, list]]:
    """The Aer calls that run the shot groups ``minors`` on the slot template: ``(prepared
    template, groups of the call)``.

    One parameterised circuit serves every minor group. A group of fewer than
    :data:`BRANCH_MIN_SHOTS` shots is that many single-shot experiments (each its own seed:
    independent draws of the group's circuit, exactly its shot count), packed with other
    small groups into calls of up to :data:`TEMPLATE_GROUPS_PER_CALL` experiments; a
    larger group is one experiment of its own with its exact shot count.
    """
    template = compiled.drawn.slot_template()  # type: ignore[union-attr]
    converted: dict[str, Any] = {}  # one conversion per method serves every call
    labels = {g.choices: compiled.drawn.slot_paulis(g.choices) for g in minors}  # type: ignore[union-attr]
    small = [g for g in minors if g.num_shots < BRANCH_MIN_SHOTS]
    jobs: list[tuple[Any, list]] = []
    if small:
        prep = engine._prepare(template, compiled, 1, method)
        prep.converted = converted
        # Each call binds a few groups and keeps only the placeholders one of them uses
        # (an identity placeholder costs Aer a pass over the state, as any gate); groups
        # sorted by the placeholders they use share more of them.
        small.sort(key=lambda g: [i for i, x in enumerate(labels[g.choices]) if x != "I"])
        call: list = []
        for g in small:
            if call and sum(h.num_shots for h in call) + g.num_shots > TEMPLATE_GROUPS_PER_CALL:
                jobs.append((prep, call))
                call = []
            call.append(g)
        jobs.append((prep, call))
    for g in minors:
        if g.num_shots >= BRANCH_MIN_SHOTS:
            prep = engine._prepare(template, compiled, g.num_shots, method)
            prep.converted = converted
            jobs.append((prep, [g]))
    return jobs


_U_OF = {"I": (0.0, 0.0, 0.0), "X": (math.pi, 0.0, math.pi), "Y": (math.pi, math.pi / 2, math.pi / 2),
         "Z": (0.0, 0.0, math.pi)}


def run_template(prep: Any, compiled: CompiledProgram, gs: list) -> list[EngineResult]:
    """Run the slot template for the groups ``gs`` of one call (see :func:`template_jobs`),
    without the placeholders that every group of ``gs`` leaves at the identity: one result
    per group."""
    qc, where = _template_qiskit(prep, compiled)
    labels = [compiled.drawn.slot_paulis(g.choices) for g in gs]  # type: ignore[union-attr]
    if len(gs) == 1 and gs[0].num_shots >= BRANCH_MIN_SHOTS:  # one experiment, its exact shot count
        pruned, binds = pruned_template(qc, where, labels)
        return engine._run_prepared(prep, compiled, shots=gs[0].num_shots, seed=gs[0].seed, qc=pruned,
                                    parameter_binds=binds, experiments=1)
    rows = [row for row, g in zip(labels, gs) for _ in range(g.num_shots)]  # one experiment per shot
    pruned, binds = pruned_template(qc, where, rows)
    shots = engine._run_prepared(prep, compiled, shots=1, seed=gs[0].seed, qc=pruned, parameter_binds=binds,
                                 experiments=len(rows))
    out, k = [], 0
    for g in gs:
        mine = shots[k:k + g.num_shots]
        k += g.num_shots
        out.append(dataclasses.replace(mine[0], memory=[r.memory[0] for r in mine]))
    return out


def pruned_template(qc: Any, where: list[int], labels: list[list[str]]) -> tuple[Any, list[dict]]:
    """The slot template ``qc`` without the placeholders every row of ``labels`` leaves at
    ``"I"``, and Aer's ``parameter_binds`` giving row ``e`` to experiment ``e``.

    ``where[i]`` is the index in ``qc.data`` of placeholder ``i`` (a ``u`` gate with
    parameters ``slot[3i..3i+2]``); ``labels[e][i]`` is its Pauli in experiment ``e``. A
    dropped placeholder would be ``u(0, 0, 0)``, the identity: the circuits are the same.
    """
    used = [i for i in range(len(where)) if any(row[i] != "I" for row in labels)] or [0]
    keep = set(used)
    drop = {j for i, j in enumerate(where) if i not in keep}
    pruned = qc.copy_empty_like()
    pruned.data = [inst for j, inst in enumerate(qc.data) if j not in drop] if drop else qc.data
    params = {p.index: p for p in pruned.parameters}
    return pruned, [{params[3 * i + a]: [_U_OF[row[i]][a] for row in labels] for i in used for a in range(3)}]


def _template_qiskit(prep: Any, compiled: CompiledProgram) -> tuple[Any, list[int]]:
    """The slot template as a Qiskit circuit whose placeholder ``i`` is a ``u`` gate with
    parameters ``slot[3i..3i+2]``, and the index of every placeholder in its data
    (converted once per method, shared by the runs of every group size)."""
    from qiskit.circuit import ParameterVector
    from qiskit.circuit.library import UGate

    k = compiled.drawn.num_placeholders  # type: ignore[union-attr]
    if prep.method not in prep.converted:  # type: ignore[operator]
        qc = fit_to_method(circuit_to_qiskit(prep.circuit, user_clbits=compiled.num_user_clbits), prep.method)
        params = ParameterVector("slot", 3 * k)
        where = []
        for j, inst in enumerate(qc.data):
            op = inst.operation
            if op.name == "u" and not op.is_parameterized() and float(op.params[2]) == SLOT_MARKER:
                i = len(where)
                qc.data[j] = inst.replace(operation=UGate(params[3 * i], params[3 * i + 1], params[3 * i + 2]))
                where.append(j)
        if len(where) != k:
            raise AssertionError(f"slot template has {len(where)} placeholders for {k} slots; please report this bug")
        prep.converted[prep.method] = (qc, where)  # type: ignore[index]
    return prep.converted[prep.method]  # type: ignore[index]

