"""The README and docs stand on their own in a clone, and CI runs the README's test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _shell_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", text, flags=re.S)]


def test_ci_runs_the_readme_test_command_verbatim():
    blocks = _shell_blocks((ROOT / "README.md").read_text())
    test_cmd = [b for b in blocks if "pytest" in b]
    assert len(test_cmd) == 1, f"the README should give one test command, found {test_cmd}"
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_cmd[0] in ci_lines


def test_quick_start_install_shows_progress():
    for block in _shell_blocks((ROOT / "README.md").read_text()):
        assert "pip install -q" not in block, f"pip -q is silent for a minute: {block}"


def test_links_stay_inside_the_repository_and_exist():
    for doc in DOCS:
        text = doc.read_text()
        assert "../shared" not in text, f"{doc.name} points outside the repository"
        for target in re.findall(r"\]\(([^)#\s]+)\)", text):
            if re.match(r"[a-z]+://", target):
                continue
            path = (doc.parent / target).resolve()
            assert path.is_relative_to(ROOT), f"{doc.name} links outside the repository: {target}"
            assert path.exists(), f"{doc.name} links to a missing file: {target}"


def test_design_doc_covers_the_method_vocabulary_layers_and_data_flow():
    text = (ROOT / "docs" / "design.md").read_text()
    for heading in ("## The method", "## Vocabulary", "## Layers", "## Data flow"):
        assert heading in text
    for short, colour in (("MOT", "#D62728"), ("INT", "#1F77B4"), ("DEC", "#2CA02C")):
        assert short in text and colour in text
