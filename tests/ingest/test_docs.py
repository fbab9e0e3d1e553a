"""docs/adapters.md's worked example is the tested code, verbatim, and it passes the kit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ingest.mapping import load_mapping

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "adapters"


def test_docs_show_the_example_files_verbatim() -> None:
    doc = (ROOT / "docs" / "adapters.md").read_text()

    for name in ("reviews.py", "test_reviews.py"):
        assert (EXAMPLE / name).read_text().rstrip() in doc, name
    for mapping in ("pos.toml", "crm.toml"):
        assert (ROOT / "examples" / "mappings" / mapping).read_text().rstrip() in doc, mapping


def test_example_mappings_load() -> None:
    for path in sorted((ROOT / "examples" / "mappings").glob("*.toml")):
        assert load_mapping(path).columns, path


def test_example_adapter_is_under_fifty_lines() -> None:
    assert len((EXAMPLE / "reviews.py").read_text().splitlines()) < 50


def test_example_adapter_passes_the_contract_kit() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout
