from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.cli import cli
from cdp.db import unit_of_work
from tests.identity.factories import make_namesake_customers, make_record, person


def _invoke(db_url: str, *args: str) -> str:
    result = CliRunner().invoke(
        cli, ["identity", *args], env={"CDP_DATABASE_URL": db_url}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_resolve_explain_compare_and_export_from_the_command_line(
    db_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with unit_of_work(session_factory) as session:
        a = make_record(
            session,
            source="shop",
            external_id="o-1",
            attributes=person("Ann", "Lee"),
            identifiers={"customer_id": "c1"},
        )
        b = make_record(session, source="web", external_id="w-1", identifiers={"customer_id": "c1"})
        c = make_record(session, source="shop", external_id="o-2", attributes=person("Tom", "Fry"))
        ids = (a.id, b.id, c.id)

    output = _invoke(db_url, "resolve")
    assert "profiles: 2 active, 2 created, 0 merges" in output
    assert "cluster sizes (records: profiles): 1: 1, 2: 1" in output  # bucketed

    with unit_of_work(session_factory) as session:
        profile_id = session.scalar(
            select(models.SourceRecord.profile_id).where(models.SourceRecord.id == ids[0])
        )
    assert profile_id is not None
    explained = _invoke(db_url, "explain", profile_id)
    assert f"profile {profile_id} [active]" in explained
    assert "by identifier (customer_id)" in explained

    compared = _invoke(db_url, "compare", str(ids[0]), str(ids[2]))
    assert "kept apart by: given_name: different given names (ann vs tom), weight" in compared

    out = tmp_path / "assignments.csv"
    _invoke(db_url, "export", "--out", str(out))
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["source"], r["external_id"]) for r in rows] == [
        ("shop", "o-1"),
        ("web", "w-1"),
        ("shop", "o-2"),
    ]
    assert rows[0]["profile_id"] == rows[1]["profile_id"] == profile_id != rows[2]["profile_id"]
    data = out.read_bytes()
    assert b"\r" not in data
    assert data.startswith(b"source,external_id,profile_id\n")


def test_split_and_merge_from_the_command_line(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        a = make_record(session, identifiers={"customer_id": "c1"})
        b = make_record(session, identifiers={"customer_id": "c1"})
        ids = (a.id, b.id)
    _invoke(db_url, "resolve")
    with unit_of_work(session_factory) as session:
        profile_id = session.scalar(
            select(models.SourceRecord.profile_id).where(models.SourceRecord.id == ids[0])
        )
    assert profile_id is not None
    split = _invoke(db_url, "split", profile_id, str(ids[1]), "--actor", "ops")
    new_id = split.strip().rsplit(" ", 1)[-1]
    merged = _invoke(
        db_url, "merge", profile_id, new_id, "--actor", "ops", "--reason", "undo", "--force"
    )
    assert merged.strip() == f"merged {new_id} into {profile_id} (2 records)"


def test_unknown_profile_is_one_clear_error_line(db_url: str) -> None:
    result = CliRunner().invoke(
        cli, ["identity", "explain", "p_missing"], env={"CDP_DATABASE_URL": db_url}
    )
    assert result.exit_code != 0
    assert "profile 'p_missing' not found" in str(result.exception) + result.output


def test_review_lists_each_pair_of_profiles_once(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    from identity import default_model, resolve

    with unit_of_work(session_factory) as session:
        make_namesake_customers(session, {"c1": 2, "c2": 2})
    model = default_model().replace(match_probability=0.999999, review_probability=0.01)
    with unit_of_work(session_factory) as session:
        resolve(session, model=model)

    lines = _invoke(db_url, "review").splitlines()

    assert len(lines) == 1
    assert lines[0].startswith("link ")
    assert lines[0].endswith("(4 possible-match links)")


def test_model_show_prints_comparisons_levels_weights_and_thresholds(db_url: str) -> None:
    shown = _invoke(db_url, "model", "show")
    assert "match threshold: probability 0.9" in shown
    assert "birth dates one typo apart (a digit, or two swapped)" in shown
    assert "family and given name swapped (counted once)" in shown
    assert "neutral" in shown
    assert "blocking rules" in shown
    assert "identifier rules" in shown


def test_an_edited_model_file_loads_back_and_becomes_the_active_model(
    db_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    data = json.loads(_invoke(db_url, "model", "show", "--json"))
    data["match_probability"] = 0.95
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = _invoke(db_url, "model", "load", str(path))
    assert "now the active model" in loaded
    assert "match threshold: probability 0.95" in _invoke(db_url, "model", "show")


def test_a_model_file_with_mistakes_is_refused_with_every_problem_at_once(
    db_url: str, tmp_path: Path
) -> None:
    data = json.loads(_invoke(db_url, "model", "show", "--json"))
    data["match_probability"] = 2
    data["comparisons"][0]["levels"][1]["m"] = 3
    data["blocking_rules"][0]["columns"] = ["shoe_size"]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["identity", "model", "load", str(path)], env={"CDP_DATABASE_URL": db_url}
    )
    assert result.exit_code == 1
    assert "3 problem(s)" in result.output
    assert "match_probability is 2" in result.output
    assert "comparisons[0].levels[1].m is 3" in result.output
    assert "'shoe_size'" in result.output
    assert "match threshold: probability 0.9 " in _invoke(db_url, "model", "show")


def test_full_rebuild_with_keep_model_uses_the_loaded_model(
    db_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with unit_of_work(session_factory) as session:
        make_record(session, attributes=person("Ann", "Lee"), identifiers={"customer_id": "c1"})
    data = json.loads(_invoke(db_url, "model", "show", "--json"))
    data["match_probability"] = 0.95
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = _invoke(db_url, "model", "load", str(path)).split()[2]
    resolved = _invoke(db_url, "resolve", "--full", "--keep-model")
    assert f"model: {loaded}" in resolved
