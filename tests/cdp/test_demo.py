from __future__ import annotations

import csv
import hashlib
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def _count(factory: sessionmaker[Session], entity: type[models.Base], *where: object) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(entity).where(*where)) or 0)


def _erased_records(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.sum(models.Erasure.records))) or 0)


def test_demo_ingests_every_channel_and_resolves_when_run_twice(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    world = tmp_path / "world"
    args = ["demo", "--no-serve", "--people", "60", "--world", str(world)]
    env = {"CDP_DATABASE_URL": db_url}

    first = CliRunner().invoke(cli, args, env=env)
    second = CliRunner().invoke(cli, args, env=env)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    with (world / "truth.csv").open() as handle:
        truth = list(csv.DictReader(handle))
    adapters = {row["adapter"].split(".")[0] for row in truth}
    assert adapters == {"web", "email", "store", "social"}
    erased = _erased_records(session_factory)
    survey = _count(session_factory, models.Feedback, models.Feedback.nps.is_not(None))
    assert erased > 0  # one person asked to be erased; a re-run does not bring them back
    assert survey > 0
    assert _count(session_factory, models.SourceRecord) == len(truth) - erased + survey
    assert (
        _count(session_factory, models.SourceRecord, models.SourceRecord.profile_id.is_(None)) == 0
    )
    people = len({row["person_id"] for row in truth})
    profiles = _count(session_factory, models.Profile, models.Profile.status == "active")
    assert people <= profiles <= people * 1.2
    assert "reusing" in second.stderr
    assert f"all {len(truth) - erased:,} records of {world}/ are stored already" in second.stderr
    assert "nothing new resolved" in second.stderr
    assert "recommendations: current" in second.stderr
    assert "alembic" not in first.stderr + second.stderr


def test_demo_feedback_is_analysed_with_mixed_sentiment_languages_and_topics(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    args = ["demo", "--no-serve", "--people", "400", "--world", str(tmp_path / "world")]

    result = CliRunner().invoke(cli, args, env={"CDP_DATABASE_URL": db_url})

    assert result.exit_code == 0, result.output
    assert "feedback:" in result.stderr
    with session_factory() as session:
        labels = set(session.scalars(select(models.Feedback.sentiment_label)))
        languages = set(session.scalars(select(models.Feedback.language)))
        kinds = set(session.scalars(select(models.Feedback.kind)))
        topics = set(session.scalars(select(models.FeedbackTopic.topic)))
    assert labels == {"positive", "neutral", "negative"}
    assert {"en", "zh"} <= languages  # and "und" for a survey answer with no comment
    scores = list(
        session_factory().scalars(
            select(models.Feedback.nps).where(models.Feedback.nps.is_not(None))
        )
    )
    assert min(scores) <= 6  # detractors answered
    assert max(scores) >= 9  # and promoters
    with session_factory() as session:
        receipt = session.scalars(select(models.Erasure)).one()
        suppressed = int(session.scalar(select(func.count()).select_from(models.Suppression)) or 0)
    assert receipt.records > 0
    assert receipt.profiles >= 1
    assert suppressed > 0
    assert {"complaint", "praise", "question"} <= kinds
    assert len(topics) >= 5
    assert _count(session_factory, models.Feedback, models.Feedback.profile_id.is_(None)) == 0


def test_demo_ingests_again_when_the_database_lacks_the_world(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    world = tmp_path / "world"
    other = f"sqlite:///{tmp_path / 'other.db'}"
    args = ["demo", "--no-serve", "--people", "30", "--world", str(world)]
    CliRunner().invoke(cli, args, env={"CDP_DATABASE_URL": other})

    result = CliRunner().invoke(cli, args, env={"CDP_DATABASE_URL": db_url})

    assert result.exit_code == 0, result.output
    assert "reusing" in result.stderr
    assert "ingesting every channel" in result.stderr
    assert "traits, segments and activation refreshed" in result.stderr
    with (world / "truth.csv").open() as handle:
        world_records = len(list(csv.DictReader(handle)))
    survey = _count(session_factory, models.Feedback, models.Feedback.nps.is_not(None))
    stored = _count(session_factory, models.SourceRecord)
    assert stored == world_records - _erased_records(session_factory) + survey


def _fake_checkout(tmp_path: Path) -> Path:
    """scripts/demo and pyproject.toml beside a .venv whose programs only echo their arguments."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "demo", root / "scripts" / "demo")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "cdp"):
        fake = bin_dir / name
        fake.write_text(f'#!/bin/sh\necho "{name} $*"\n')
        fake.chmod(0o755)
    return root


def test_demo_script_skips_set_up_when_pyproject_is_unchanged(tmp_path: Path) -> None:
    root = _fake_checkout(tmp_path)
    digest = hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest()
    version = platform.python_version()
    (root / ".venv" / ".cdp-demo-installed").write_text(f"{version} {digest}\n")

    result = subprocess.run(
        [str(root / "scripts" / "demo"), "--no-serve"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "up to date with pyproject.toml" in result.stderr
    assert result.stdout == "python -m cdp.commands.demo --no-serve\n"
    assert not (root / ".venv" / "install.log").exists()


def test_demo_module_runs_the_demo_when_started_without_the_cli(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    world = tmp_path / "world"
    command = [sys.executable, "-m", "cdp.commands.demo", "--no-serve", "--people", "20"]

    result = subprocess.run(
        [*command, "--world", str(world)],
        capture_output=True,
        text=True,
        env={**os.environ, "CDP_DATABASE_URL": db_url},
        cwd=ROOT,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "recommendations:" in result.stderr
    with (world / "truth.csv").open() as handle:
        world_records = len(list(csv.DictReader(handle)))
    survey = _count(session_factory, models.Feedback, models.Feedback.nps.is_not(None))
    stored = _count(session_factory, models.SourceRecord)
    assert stored == world_records - _erased_records(session_factory) + survey
