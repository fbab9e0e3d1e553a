"""A CRM export from an independent generator through the mapping path.

    python benchmarks/identity.py --crm 100000

`benchmarks/crm_export.py` writes N rows (people with 1-4 corrupted records, 10% households as
hard negatives); this declares the file a source with `benchmarks/fixtures/crm_export.toml`,
runs `cdp db upgrade`, `cdp ingest --no-resolve crm FILE`, `cdp identity resolve` and `cdp
identity export`, and scores the profiles against the truth the generator returned: pairwise
and B-cubed precision, recall and F1, with the time of each step (the ingest of the same file
is the baseline the resolve time is compared with).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.crm_export import generate, write_csv  # noqa: E402
from benchmarks.identity_febrl import cdp_command, score_export, sources_file  # noqa: E402

MAPPING = ROOT / "benchmarks" / "fixtures" / "crm_export.toml"

__all__ = ["crm_run", "print_crm"]


def crm_run(records: int, seed: int = 11) -> dict[str, Any]:
    started = time.perf_counter()
    rows = generate(records, seed=seed)
    generated = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="crm-") as tmp:
        work = Path(os.environ.get("CRM_KEEP") or tmp)
        work.mkdir(parents=True, exist_ok=True)
        truth = write_csv(rows, work / "crm.csv")
        env = {
            **os.environ,
            "CDP_DATABASE_URL": f"sqlite:///{work / 'cdp.db'}",
            "CDP_SOURCES_FILE": str(work / "cdp.toml"),
        }
        sources_file(work / "cdp.toml", ["crm"], duplicate_free=False, mapping=MAPPING)
        cdp_command(["db", "upgrade"], env, work)
        ingest, _ = cdp_command(["ingest", "--no-resolve", "crm", str(work / "crm.csv")], env, work)
        resolve, output = cdp_command(["identity", "resolve"], env, work)
        cdp_command(["identity", "export", "--out", str(work / "profiles.csv")], env, work)
        result: dict[str, Any] = score_export(work / "profiles.csv", truth.__getitem__)
    people = len({row.person for row in rows})
    result.update(
        records=len(rows),
        people=people,
        generate_s=generated,
        ingest_s=ingest,
        resolve_s=resolve,
        resolve_output=output,
    )
    return result


def print_crm(r: dict[str, Any]) -> None:
    print(
        f"CRM export {r['records']:,} records ({r['people']:,} people): "
        f"pairwise P {r['pair_p']:.4f} R {r['pair_r']:.4f} F1 {r['pair_f1']:.4f}   "
        f"B-cubed P {r['b3_p']:.4f} R {r['b3_r']:.4f} F1 {r['b3_f1']:.4f}"
    )
    print(
        f"  time: generate {r['generate_s']:.1f}s, ingest {r['ingest_s']:.1f}s, resolve "
        f"{r['resolve_s']:.1f}s (resolve/ingest x{r['resolve_s'] / max(r['ingest_s'], 1e-9):.2f})"
    )
    for line in r["resolve_output"].splitlines():
        if line.startswith(("profiles:", "cluster sizes", "largest")):
            print(f"  {line}")


if __name__ == "__main__":
    print_crm(crm_run(int(sys.argv[1]) if len(sys.argv) > 1 else 20000))
