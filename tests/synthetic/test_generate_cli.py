"""`benchmarks/generate.py`: the one command that writes a world."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "generate.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


def test_generate_writes_a_world_and_says_what_it_wrote(tmp_path: Path) -> None:
    result = _run("--people", "40", "--seed", "3", "--out", str(tmp_path / "w"))
    assert result.returncode == 0, result.stderr
    assert "records about 40 people" in result.stdout
    assert "noise" in result.stdout
    assert (tmp_path / "w" / "truth.csv").is_file()


def test_generate_refuses_bad_input_with_the_value(tmp_path: Path) -> None:
    result = _run("--people", "0", "--out", str(tmp_path / "w"))
    assert result.returncode == 2
    assert "people must be a positive integer; got 0" in result.stderr
    assert not (tmp_path / "w").exists()


def test_scale_mode_measures_each_size(tmp_path: Path) -> None:
    result = _run("--scale", "--sizes", "500,1000")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3
    assert lines[1].split()[-1] == "1.00"
