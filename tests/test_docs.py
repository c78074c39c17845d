"""The guides in docs/ are true: their Python examples run as written."""

from __future__ import annotations

import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"
EXAMPLES = [
    (name, i, block)
    for name in ("getting-started.md", "clusters.md", "cirq.md")
    for i, block in enumerate(re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(), flags=re.S))
]


@pytest.mark.parametrize("name, index, block", EXAMPLES, ids=[f"{n}-{i}" for n, i, _ in EXAMPLES])
def test_docs_example_runs(name: str, index: int, block: str, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(block, f"{name} block {index}", "exec"), {"__name__": "__docs__"})


def test_every_guide_the_index_lists_is_linked_from_the_readme() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    index = (DOCS / "index.md").read_text()
    for target in re.findall(r"\]\(([a-z-]+\.md)\)", index):
        assert f"docs/{target}" in readme, f"README does not link docs/{target}"
