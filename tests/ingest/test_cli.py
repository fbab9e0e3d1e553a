from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.cli import cli
from tests.ingest.conftest import FIXTURES

EVENTS = str(FIXTURES / "web.segment" / "events.jsonl")
BAD = str(FIXTURES / "web.segment" / "malformed.jsonl")
EXAMPLE_MAPPING = str(Path(__file__).parents[2] / "examples" / "mappings" / "pos.toml")


def _env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {"CDP_DATABASE_URL": db_url, "CDP_SOURCES_FILE": str(tmp_path / "cdp.toml")}


def test_ingest_with_adapter_prints_balanced_summary_as_json(db_url: str, tmp_path: Path) -> None:
    args = ["ingest", "--adapter", "web.segment", "--source", "web", "--json", EVENTS, BAD]

    result = CliRunner().invoke(cli, args, env=_env(db_url, tmp_path))

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["stored"], summary["duplicates"], summary["quarantined"]) == (
        15, 7, 0, 8,
    )  # fmt: skip


def test_ingest_with_mapping_and_rerun_reports_duplicates(db_url: str, tmp_path: Path) -> None:
    csv = str(FIXTURES / "pos" / "pos-receipts.csv")
    args = ["ingest", "--mapping", EXAMPLE_MAPPING, "--source", "pos", csv]
    runner = CliRunner()

    first = runner.invoke(cli, args, env=_env(db_url, tmp_path))
    second = runner.invoke(cli, args, env=_env(db_url, tmp_path))

    assert first.exit_code == 0, first.output
    assert "read 3 = stored 3 + duplicates skipped 0 + quarantined 0" in first.stdout
    assert "read 3 = stored 0 + duplicates skipped 3 + quarantined 0" in second.stdout


def test_configured_source_is_listed_and_ingested(db_url: str, tmp_path: Path) -> None:
    shutil.copy(EVENTS, tmp_path / "events.jsonl")
    (tmp_path / "cdp.toml").write_text(
        '[sources.web]\nadapter = "web.segment"\nfiles = ["events.jsonl"]\n'
    )
    runner = CliRunner()

    ingested = runner.invoke(cli, ["ingest", "web", "--progress"], env=_env(db_url, tmp_path))
    listed = runner.invoke(cli, ["sources"], env=_env(db_url, tmp_path))

    assert ingested.exit_code == 0, ingested.output
    assert "records/s" in ingested.stderr
    assert "read 7 = stored 7" in ingested.stdout
    (row,) = [line for line in listed.stdout.splitlines() if line.startswith("web ")]
    assert row.split()[:3] == ["web", "web.segment", "7"]


def test_unknown_source_names_the_declared_ones(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "cdp.toml").write_text('[sources.web]\nadapter = "web.segment"\n')

    result = CliRunner().invoke(cli, ["ingest", "shop"], env=_env(db_url, tmp_path))

    assert result.exit_code != 0
    assert "no source 'shop'" in result.stderr
    assert "declared: web" in result.stderr


def test_quarantine_lists_counts_and_replays_after_mapping_fix(db_url: str, tmp_path: Path) -> None:
    bad_csv = str(FIXTURES / "pos" / "pos-bad.csv")
    runner = CliRunner()
    env = _env(db_url, tmp_path)
    runner.invoke(
        cli, ["ingest", "--mapping", EXAMPLE_MAPPING, "--source", "pos", bad_csv], env=env
    )
    fixed = tmp_path / "pos-fixed.toml"
    fixed.write_text(
        Path(EXAMPLE_MAPPING)
        .read_text()
        .replace('formats = ["%d/%m/%Y %H:%M"]', 'formats = ["%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"]')
    )

    listed = runner.invoke(cli, ["quarantine", "list", "--source", "pos"], env=env)
    counted = runner.invoke(cli, ["quarantine", "counts", "--json"], env=env)
    replayed = runner.invoke(cli, ["quarantine", "replay", "pos", "--mapping", str(fixed)], env=env)
    after = runner.invoke(cli, ["quarantine", "list", "--json"], env=env)

    assert "pos-bad.csv:2" in listed.stdout
    assert "'2026-01-05 10:00'" in listed.stdout
    assert sum(row["count"] for row in json.loads(counted.stdout)) == 2
    assert replayed.exit_code == 0, replayed.output
    assert "stored 1, duplicates 0, still failing 1" in replayed.stdout
    (left,) = json.loads(after.stdout)
    assert "'abc'" in left["reason"]
    assert left["attempts"] == 2


def test_example_sources_file_declares_every_built_in_adapter() -> None:
    from ingest import ADAPTERS, load_sources

    sources = load_sources(Path(__file__).parents[2] / "examples" / "cdp.toml")

    assert {s.adapter for s in sources.values() if s.adapter} == set(ADAPTERS)
    assert sources["pos"].mapping is not None
    assert sources["pos"].mapping.is_file()


def test_ingest_resolves_each_committed_batch_unless_told_not_to(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    args = ["ingest", "--adapter", "web.segment", "--batch-size", "5", EVENTS]

    resolved = CliRunner().invoke(cli, [*args, "--source", "web"], env=_env(db_url, tmp_path))
    skipped = CliRunner().invoke(
        cli, [*args, "--source", "web2", "--no-resolve"], env=_env(db_url, tmp_path)
    )

    assert resolved.exit_code == 0, resolved.output
    assert skipped.exit_code == 0, skipped.output
    with session_factory() as session:
        rows = session.execute(
            select(models.Source.name, models.SourceRecord.profile_id).join(models.Source)
        ).all()
    by_source = {name: [profile for source, profile in rows if source == name] for name, _ in rows}
    assert by_source["web"]
    assert all(by_source["web"])
    assert by_source["web2"]
    assert not any(by_source["web2"])


def test_declared_push_source_gets_a_write_key_after_listing(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "cdp.toml").write_text('[sources.site]\nadapter = "web.segment"\n')
    runner = CliRunner()

    listed = runner.invoke(cli, ["sources", "--json"], env=_env(db_url, tmp_path))
    created = runner.invoke(
        cli, ["keys", "create", "--role", "write", "--source", "site"], env=_env(db_url, tmp_path)
    )

    assert json.loads(listed.stdout)[0]["records"] == 0
    assert created.exit_code == 0, created.output
    assert created.stdout.strip().startswith("cdp_")


def test_sources_list_without_the_secrets_of_pull_sources_being_set(
    db_url: str, tmp_path: Path
) -> None:
    (tmp_path / "cdp.toml").write_text(
        '[sources.shop]\nadapter = "store.shopify"\nshop_url = "https://x.test"\n'
        'access_token_env = "NOT_SET_ANYWHERE"\n'
    )

    listed = CliRunner().invoke(cli, ["sources", "--json"], env=_env(db_url, tmp_path))

    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout)[0]["adapter"] == "store.shopify"


def test_ingest_with_workers_stores_everything_and_resolves_at_the_end(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    args = ["ingest", "--adapter", "web.segment", "--source", "web", "--workers", "2", "--json"]

    first = CliRunner().invoke(cli, [*args, EVENTS], env=_env(db_url, tmp_path))
    again = CliRunner().invoke(cli, [*args, EVENTS], env=_env(db_url, tmp_path))

    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["read"] == summary["stored"] > 0
    assert json.loads(again.stdout)["duplicates"] == summary["read"]
    assert "resolved" in first.stderr
    with session_factory() as session:
        profiles = session.scalars(select(models.SourceRecord.profile_id)).all()
    assert len(profiles) == summary["stored"]
    assert all(profiles)
