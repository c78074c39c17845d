"""The schedule inside compile_program, the report and the command line."""

from __future__ import annotations

import json

from welinq_core import Cluster
from welinq_core.pipeline import compile_program
from welinq_core.report import Report
from welinq_core.schedule import Schedule
from tests.schedule._helpers import ghz_circuit


def test_compile_program_schedules_and_reports():
    cluster = Cluster.preset("oxford-ions-2025")
    compiled = compile_program(ghz_circuit(6), cluster, seed=3, assignment=("qpu0",) * 3 + ("qpu1",) * 3)
    assert isinstance(compiled.schedule, Schedule)
    assert compiled.report.schedule == compiled.schedule.summary()
    assert len(compiled.schedule.pair_states()) == compiled.program.num_bell_pairs == 1
    assert compiled.schedule.bottleneck == "network"  # 10 Hz pairs vs ms-scale ion gates
    json.dumps(compiled.report.to_dict(), allow_nan=False)
    again = compile_program(ghz_circuit(6), cluster, seed=3, assignment=("qpu0",) * 3 + ("qpu1",) * 3)
    assert again.schedule == compiled.schedule


def test_report_prints_the_schedule_section():
    compiled = compile_program(ghz_circuit(4), Cluster.preset("werner-0.97"), seed=0,
                               assignment=("qpu0", "qpu0", "qpu1", "qpu1"))
    text = str(compiled.report)
    assert "schedule:" in text
    for key in ("makespan_s:", "bottleneck:", "verdict:", "total_stall_s:", "link qpu0-qpu1: 1 consumed"):
        assert key in text, key
    # the CLI rebuilds the report from result metadata (plain data)
    rebuilt = Report(**{**compiled.report.to_dict(), "assignment": tuple(compiled.report.assignment)})
    assert str(rebuilt) == text


def test_unlimited_links_report_instantaneous_supply():
    compiled = compile_program(ghz_circuit(4), Cluster.preset("ideal"), seed=0,
                               assignment=("qpu0", "qpu0", "qpu1", "qpu1"))
    assert compiled.report.schedule["policy"] == "instantaneous"
    assert compiled.report.schedule["bottleneck"] == "none"
