"""Writing a world to disk in each channel's real format, plus `truth.csv`.

Every file is sorted the way its API delivers it (Segment, SendGrid, Shopify and the till by
time ascending, Shopify by `updated_at` as an incremental sync asks for; Meta leads per form and
X mentions newest first). Sorting a large world spills sorted runs to disk and merges them, so
memory stays bounded. The world is written into a hidden sibling directory and renamed into
place at the end: a failed run leaves nothing half-written.
"""

from __future__ import annotations

import base64
import csv
import heapq
import json
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from cdp.synthetic._model import ADAPTERS, NoiseRates, SyntheticRecord, WorldSummary
from cdp.synthetic._population import DEFAULT_CHINESE_SHARE
from cdp.synthetic._store import POS_COLUMNS, POS_UTC_OFFSET
from cdp.synthetic._world import World

__all__ = ["write_world"]

SHOPIFY_PAGE = 250
LEADS_PAGE = 100
MENTIONS_PAGE = 100
_SPILL_AT = 100_000
_FAR_FUTURE = 10**14
_BRAND_X_ID = "1500000000000000001"


class _Spool:
    """(key, line) pairs returned in key order; sorted runs spill to disk past a limit."""

    def __init__(self, tmp_dir: Path, name: str) -> None:
        self._tmp_dir = tmp_dir
        self._name = name
        self._buffer: list[str] = []
        self._runs: list[Path] = []

    def add(self, key: str, line: str) -> None:
        self._buffer.append(f"{key}\t{line}")
        if len(self._buffer) >= _SPILL_AT:
            self._spill()

    def _spill(self) -> None:
        self._buffer.sort()
        run = self._tmp_dir / f"{self._name}.run{len(self._runs)}"
        with run.open("w", encoding="utf-8") as handle:
            handle.writelines(entry + "\n" for entry in self._buffer)
        self._runs.append(run)
        self._buffer = []

    def __iter__(self) -> Iterator[tuple[str, str]]:
        self._buffer.sort()
        files = [run.open(encoding="utf-8") for run in self._runs]
        try:
            streams = [(line.rstrip("\n") for line in f) for f in files]
            for entry in heapq.merge(self._buffer, *streams):
                key, _, line = entry.partition("\t")
                yield key, line
        finally:
            for f in files:
                f.close()


def _millis(when: datetime) -> int:
    return round(when.timestamp() * 1000)


def _ascending(when: datetime, external_id: str) -> str:
    return f"{_millis(when):014d}{external_id}"


def _descending(when: datetime, external_id: str) -> str:
    return f"{_FAR_FUTURE - _millis(when):014d}{external_id}"


def _dumps(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _spool_record(
    spools: dict[str, _Spool], record: SyntheticRecord, payload: dict[str, Any]
) -> None:
    adapter, when, eid = record.adapter, record.occurred_at, record.external_id
    if adapter == "store.shopify":
        updated = datetime.fromisoformat(payload["updated_at"])
        spools[adapter].add(_ascending(updated, eid), _dumps(payload))
    elif adapter == "social.meta_leads":
        spools[adapter].add(payload["form_id"] + _descending(when, eid), _dumps(payload))
    elif adapter == "social.x_mentions":  # post ids are snowflakes: newest first is id order
        spools[adapter].add(f"{(1 << 63) - int(eid):019d}", _dumps(payload))
    else:
        spools[adapter].add(_ascending(when, eid), _dumps(payload))


def _write_jsonl(path: Path, spool: _Spool) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for _, line in spool:
            handle.write(line + "\n")


def _write_json_array(path: Path, spool: _Spool) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for i, (_, line) in enumerate(spool):
            handle.write(("\n" if i == 0 else ",\n") + line)
        handle.write("\n]\n")


def _write_csv(path: Path, spool: _Spool) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(POS_COLUMNS)
        for _, line in spool:
            row = json.loads(line)
            writer.writerow([row[column] for column in POS_COLUMNS])


def _pages(lines: Iterator[str], size: int) -> Iterator[tuple[list[str], bool]]:
    """Pages of `size` lines, each with whether another page follows."""
    page = list(islice(lines, size))
    while page:
        following = list(islice(lines, size))
        yield page, bool(following)
        page = following


def _write_shopify(store_dir: Path, spool: _Spool) -> list[Path]:
    paths = []
    lines = (line for _, line in spool)
    for number, (page, _) in enumerate(_pages(lines, SHOPIFY_PAGE), start=1):
        path = store_dir / f"shopify-orders-{number}.json"
        path.write_text('{"orders":[' + ",".join(page) + "]}\n", encoding="utf-8")
        paths.append(path)
    return paths


def _cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _write_leads(social_dir: Path, spool: _Spool) -> list[Path]:
    paths: list[Path] = []
    by_form: dict[str, list[str]] = {}
    for key, line in spool:
        by_form.setdefault(key[:15], []).append(line)
    for form_id, lines in sorted(by_form.items()):
        for page, has_more in _pages(iter(lines), LEADS_PAGE):
            ids = [json.loads(line)["id"] for line in (page[0], page[-1])]
            paging: dict[str, Any] = {
                "cursors": {"before": _cursor(ids[0]), "after": _cursor(ids[1])}
            }
            if has_more:
                paging["next"] = (
                    f"https://graph.facebook.com/v21.0/{form_id}/leads"
                    f"?limit={LEADS_PAGE}&after={_cursor(ids[1])}"
                )
            path = social_dir / f"meta-leads-{len(paths) + 1}.json"
            path.write_text(
                '{"data":[' + ",".join(page) + '],"paging":' + _dumps(paging) + "}\n",
                encoding="utf-8",
            )
            paths.append(path)
    return paths


def _write_mentions(social_dir: Path, spool: _Spool) -> list[Path]:
    paths: list[Path] = []
    lines = (line for _, line in spool)
    for page, has_more in _pages(lines, MENTIONS_PAGE):
        tweets = [json.loads(line) for line in page]
        users = {t["author_id"]: t.pop("_user") for t in tweets}
        meta: dict[str, Any] = {
            "result_count": len(tweets),
            "newest_id": tweets[0]["id"],
            "oldest_id": tweets[-1]["id"],
        }
        if has_more:
            meta["next_token"] = _cursor(f"{_BRAND_X_ID}:{tweets[-1]['id']}")
        body = {"data": tweets, "includes": {"users": list(users.values())}, "meta": meta}
        path = social_dir / f"x-mentions-{len(paths) + 1}.json"
        path.write_text(_dumps(body) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _prepare(out_dir: Path, overwrite: bool) -> Path:
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise FileExistsError(
            f"{out_dir} is not empty; choose an empty directory or pass overwrite=True"
        )
    staging = out_dir.parent / f".{out_dir.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    for sub in ("web", "email", "store", "social", ".spool"):
        (staging / sub).mkdir(parents=True)
    return staging


def _install(staging: Path, out_dir: Path) -> None:
    """Move the finished world into place; the directory itself stays (it may be the cwd)."""
    shutil.rmtree(staging / ".spool")
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    retired = out_dir.parent / f".{out_dir.name}.old"
    shutil.rmtree(retired, ignore_errors=True)
    retired.mkdir()
    for old in out_dir.iterdir():
        old.rename(retired / old.name)
    for new in staging.iterdir():
        new.rename(out_dir / new.name)
    staging.rmdir()
    shutil.rmtree(retired)


def write_world(
    out_dir: str | Path,
    *,
    people: int = 2000,
    seed: int = 7,
    noise: NoiseRates | None = None,
    overwrite: bool = False,
    chinese_share: float = DEFAULT_CHINESE_SHARE,
    ends: date | None = None,
) -> WorldSummary:
    """Generate a world of `people` and write every channel's files and `truth.csv`.

    Example:
        summary = write_world("demo-world", people=2000, seed=7)
        summary.records_by_adapter["web.segment"]

    Raises `FileExistsError` if `out_dir` holds anything and `overwrite` is false, and
    `ValueError` for a bad `people`, `seed`, noise rate or `ends` (`World`: the period's last
    day, which moves every time of the world by whole days).
    """
    started = time.perf_counter()
    world = World(people=people, seed=seed, noise=noise, chinese_share=chinese_share, ends=ends)
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = _prepare(out_dir, overwrite)
    try:
        spools, counts, households = _generate(world, staging)
        files = _write_files(staging, spools)
        _install(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return WorldSummary(
        out_dir=out_dir,
        seed=seed,
        people=people,
        households=households,
        records=sum(counts.values()),
        records_by_adapter=dict(sorted(counts.items())),
        files=tuple(sorted(str(p.relative_to(staging)) for p in files)),
        noise=world.noise_report(),
        seconds=time.perf_counter() - started,
        pos_utc_offset=POS_UTC_OFFSET,
    )


def _generate(world: World, staging: Path) -> tuple[dict[str, _Spool], Counter[str], int]:
    spools = {adapter: _Spool(staging / ".spool", adapter) for adapter in ADAPTERS}
    counts: Counter[str] = Counter()
    households = 0
    with (staging / "truth.csv").open("w", encoding="utf-8", newline="") as handle:
        truth = csv.writer(handle, lineterminator="\n")
        truth.writerow(("adapter", "external_id", "person_id"))
        for _, pairs in world.pairs():
            households += 1
            for record, payload in pairs:
                _spool_record(spools, record, payload)
                truth.writerow((record.adapter, record.external_id, record.person_id))
                counts[record.adapter] += 1
    return spools, counts, households


def _write_files(staging: Path, spools: dict[str, _Spool]) -> list[Path]:
    files = [
        staging / "truth.csv",
        staging / "web/segment-events.jsonl",
        staging / "email/sendgrid-events.json",
        staging / "store/pos-receipts.csv",
    ]
    _write_jsonl(files[1], spools["web.segment"])
    _write_json_array(files[2], spools["email.sendgrid"])
    _write_csv(files[3], spools["store.pos"])
    files += _write_shopify(staging / "store", spools["store.shopify"])
    files += _write_leads(staging / "social", spools["social.meta_leads"])
    files += _write_mentions(staging / "social", spools["social.x_mentions"])
    return files
