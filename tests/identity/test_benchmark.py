"""`benchmarks/identity.py` on a small world: the scores and the references it prints must
bound each other as they claim (a reference below the matcher would be no reference)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "identity.py"


def _engine(records: int, order: str = "generator") -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            *("--worker", "engine", "--size", str(records), "--order", order),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_engine_scores_and_references_bound_each_other() -> None:
    r = _engine(3000)
    ours, ceilings = r["ours"], r["ceilings"]
    perfect, evidence = ceilings["perfect"], ceilings["evidence"]
    for scores in (ours, perfect, evidence, ceilings["blocking"], ceilings["shared_value"]):
        assert all(0.0 < value <= 1.0 for key, value in scores.items() if key != "share")
    # Every true candidate pair linked: recall no matcher over these candidates can pass.
    assert perfect["b3_r"] >= max(ours["b3_r"], evidence["b3_r"])
    assert perfect["b3_r"] <= ceilings["blocking"]["b3_r"] + 1e-9
    # Only identifier links of several people (a family email) make it less than exact.
    assert perfect["b3_p"] >= 0.99
    # The best rule over the evidence the matcher sees, found with the truth.
    assert evidence["share"] in (0.5, 0.7, 0.9)
    assert evidence["b3_f1"] >= ours["b3_f1"] - 0.01
    assert evidence["b3_f1"] <= perfect["b3_f1"] + 1e-9
    assert ceilings["blocking"]["b3_r"] <= ceilings["shared_value"]["b3_r"] + 1e-9


def test_the_order_records_arrive_in_barely_moves_the_scores() -> None:
    # The same records by time and shuffled: a tie-break that favoured the generator's
    # household-by-household order would show here.
    runs = {order: _engine(3000, order) for order in ("generator", "time", "random")}
    assert {r["order"] for r in runs.values()} == {"generator", "time", "random"}
    assert len({r["records"] for r in runs.values()}) == 1
    f1 = [r["ours"]["b3_f1"] for r in runs.values()]
    assert max(f1) - min(f1) < 0.002
