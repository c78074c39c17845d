"""Sinter collection: resumable CSV, per-round rates, crossings, plot, and the ``welinq qec`` command."""

from __future__ import annotations

import pytest

from qiskit_welinq.cli import main
from welinq_core.errors import OptionsError
from welinq_core.qec.collect import (
    LogicalErrorPoint,
    collect_memory,
    logical_error_points,
    memory_tasks,
    per_round_error,
    plot_logical_error,
    read_stats,
    threshold_crossings,
)


def test_collect_appends_to_a_csv_and_resumes(tmp_path):
    csv = tmp_path / "sweep.csv"
    tasks = memory_tasks(distances=[3], bulk_errors=[0.002], interface_errors=[0.05, 0.2])
    first = collect_memory(tasks, csv_path=csv, max_shots=600, max_errors=10_000, num_workers=1)
    assert sorted(s.shots for s in first) == [600, 600]
    again = collect_memory(tasks, csv_path=csv, max_shots=600, max_errors=10_000, num_workers=1)
    assert sorted(s.shots for s in again) == [600, 600]  # nothing new: the CSV already holds them
    more = collect_memory(tasks, csv_path=csv, max_shots=1000, max_errors=10_000, num_workers=1)
    assert sorted(s.shots for s in more) == [1000, 1000]
    on_disk = {s.json_metadata["p_int"]: s for s in read_stats(csv)}
    assert {k: s.shots for k, s in on_disk.items()} == {0.05: 1000, 0.2: 1000}
    points = logical_error_points(on_disk.values())
    assert [p.interface_error for p in points] == [0.05, 0.2]
    assert points[0].per_round < points[1].per_round  # a noisier seam fails more often
    for p in points:
        assert p.per_round_low <= p.per_round <= p.per_round_high
        assert p.per_round == pytest.approx(per_round_error(p.errors / p.shots, rounds=3))

def test_per_round_error_inverts_independent_rounds():
    q = 0.01  # per round; after r rounds the observable is flipped with probability (1 - (1 - 2q)^r) / 2
    for r in (1, 3, 7):
        per_shot = (1 - (1 - 2 * q) ** r) / 2
        assert per_round_error(per_shot, rounds=r) == pytest.approx(q)

def _point(d, x, p, bulk=0.001):
    return LogicalErrorPoint(distance=d, rounds=d, bulk_error=bulk, interface_error=x, shots=10, errors=1,
                             per_shot=p, per_round=p, per_round_low=p, per_round_high=p)

def test_crossings_interpolate_in_log_log_and_skip_curves_that_never_cross():
    # d=3: p = x, d=5: p = x^2 / 0.1 -> equal at x = 0.1 exactly
    xs = [0.02, 0.05, 0.08, 0.15, 0.3]
    pts = [_point(3, x, x) for x in xs] + [_point(5, x, x * x / 0.1) for x in xs]
    pts += [_point(7, x, 1e-6 * x) for x in xs]  # d=7 always better than d=5: no crossing for (5, 7)
    crossings = threshold_crossings(pts)
    assert len(crossings) == 1
    c = crossings[0]
    assert (c.small, c.large, c.fixed) == (3, 5, 0.001)
    assert c.value == pytest.approx(0.1, rel=1e-9) and c.bracket == (0.08, 0.15)
    with pytest.raises(OptionsError):
        threshold_crossings(pts, along="distance")

def test_plot_has_one_curve_per_distance(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    tasks = memory_tasks(distances=[3, 5], bulk_errors=[0.001], interface_errors=[0.1, 0.2])
    stats = collect_memory(tasks, max_shots=300, max_errors=10_000, num_workers=1)
    ax = plot_logical_error(stats)
    labels = sorted(t.get_text() for t in ax.get_legend().get_texts())
    assert labels == ["d=3", "d=5"]
    assert ax.get_xscale() == "log" and "per round" in ax.get_ylabel()

def test_cli_sweeps_writes_csv_and_plot(tmp_path, capsys):
    csv, png = tmp_path / "qec.csv", tmp_path / "qec.png"
    code = main(["qec", "--distances", "3,5", "--bulk", "0.001", "--interface", "0.05,0.3", "--max-shots", "400",
                 "--workers", "1", "--csv", str(csv), "--plot", str(png)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("| 3 | 3 | 0.001 |") == 2 and out.count("| 5 | 5 | 0.001 |") == 2
    assert "crossing" in out and png.stat().st_size > 0
    assert len(read_stats(csv)) == 4

@pytest.mark.parametrize("args, words", [
    (["--distances", "4"], "distance=4"),
    (["--interface", "0.1:x:3"], "--interface '0.1:x:3'"),
    (["--bulk", "1.5"], "bulk_error=1.5"),
    (["--qpus", "9"], "num_qpus=9"),
])
def test_cli_bad_input_is_one_line_and_non_zero(args, words, capsys):
    code = main(["qec", "--max-shots", "10", "--workers", "1"] + args)
    err = capsys.readouterr().err.strip()
    assert code != 0 and words in err and len(err.splitlines()) == 1
