"""The ``welinq`` command explains itself: --version, defaults in every help text, aligned preset list."""

from __future__ import annotations

import argparse

import pytest

from qiskit_welinq.cli import build_parser, main
from welinq_core import __version__
from welinq_core.cluster_presets import DEFAULT_CLUSTER_PRESET, cluster_preset_names


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"welinq {__version__}"


def _subparser(name: str) -> argparse.ArgumentParser:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


@pytest.mark.parametrize("command", ["demo", "run", "presets", "partition", "qec", "sweep", "plot", "links"])
def test_every_option_has_help_and_shows_its_default(command: str) -> None:
    parser = _subparser(command)
    text = " ".join(parser.format_help().split())
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"welinq {command}: {action.dest} has no help text"
        if action.option_strings and action.default not in (None, False):
            shown = (f"default: {action.default}", f"default {action.default}", f"default {action.default:,}"
                     if isinstance(action.default, int) else f"default {action.default}")
            assert any(s in text for s in shown), f"welinq {command}: {action.dest} hides its default"


def test_run_documents_json_and_uses_the_default_preset() -> None:
    parser = _subparser("run")
    text = " ".join(parser.format_help().split())
    assert '"counts"' in text and '"report"' in text and '"method"' in text
    assert parser.get_default("cluster") == DEFAULT_CLUSTER_PRESET


def test_presets_are_aligned_in_one_column(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = cluster_preset_names()
    assert [line.split()[0] for line in lines] == list(names)
    width = max(map(len, names))
    assert {len(line) - len(line[width:].lstrip()) for line in lines} == {width + 2}
