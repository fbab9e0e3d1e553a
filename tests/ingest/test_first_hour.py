"""A data engineer's first hour: every expected error is one line and a non-zero exit, mappings
can require fields, enumerated values are checked when the mapping is read, and a record with
nothing to match a person on is quarantined whatever the path."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.cli import main
from ingest import AdapterConfigError, MappingAdapter, parse_mapping
from ingest.runner import run_ingest

_MAPPING = """
channel = "store"
kind = "order"
format = "csv"
key = "receipt_id"
{extra}
[timestamp]
column = "sold_at"
formats = ["%d/%m/%Y %H:%M"]
utc_offset = "-05:00"
[fields]
"identifiers.email" = "email"
"order.total" = "total"
[defaults]
"order.currency" = "USD"
"""


def _cdp(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db: str, *args: str
) -> tuple[int, str]:
    monkeypatch.setenv("CDP_DATABASE_URL", db)
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return int(exit_info.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["ingest", "nosuch"], "no source 'nosuch'"),
        (["ingest", "--adapter", "nosuch", "--source", "s", "{csv}"], "unknown adapter 'nosuch'"),
        (["ingest", "--mapping", "{bad_ts}", "--source", "s", "{csv}"], "[timestamp] must be"),
        (["ingest", "--mapping", "{bad_toml}", "--source", "s", "{csv}"], "does not parse"),
        (["ingest", "--mapping", "{ticket}", "--source", "s", "{csv}"], "'ticket'"),
        (["quarantine", "replay", "s", "--mapping", "{bad_toml}"], "does not parse"),
    ],
    ids=["unknown-source", "unknown-adapter", "bad-timestamp", "bad-toml", "bad-kind", "replay"],
)
def test_expected_errors_are_one_line_and_exit_non_zero(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    tmp_path: Path,
    args: list[str],
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    files = {
        "csv": tmp_path / "x.csv",
        "bad_ts": tmp_path / "bad_ts.toml",
        "bad_toml": tmp_path / "bad.toml",
        "ticket": tmp_path / "ticket.toml",
    }
    files["csv"].write_text("receipt_id,sold_at\n")
    files["bad_ts"].write_text('channel = "store"\nkind = "event"\nkey = "id"\ntimestamp = "x"\n')
    files["bad_toml"].write_text("not = [toml\n")
    files["ticket"].write_text(
        'channel = "store"\nkind = "feedback"\nkey = "id"\n[timestamp]\nsource = "ingest"\n'
        '[fields]\n"feedback.text" = "t"\n[constants]\n"feedback.kind" = "ticket"\n'
    )
    argv = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]

    code, err = _cdp(capsys, monkeypatch, db_url, *argv)

    assert code != 0
    assert expected in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_an_unmigrated_database_is_one_line_naming_the_fix(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "x.jsonl").write_text("{}\n")
    db = f"sqlite:///{tmp_path / 'empty.db'}"

    code, err = _cdp(
        capsys, monkeypatch, db, "ingest", "--adapter", "web.segment", "--source", "w",
        str(tmp_path / "x.jsonl"),
    )  # fmt: skip

    assert code == 1
    assert "cdp db upgrade" in err
    assert len(err.strip().splitlines()) == 1, err


def _mapping(extra: str = "") -> MappingAdapter:
    import tomllib

    return MappingAdapter(parse_mapping(tomllib.loads(_MAPPING.format(extra=extra)), "m.toml"))


def test_mapping_settings_are_checked_when_read() -> None:
    with pytest.raises(AdapterConfigError) as bad:
        _mapping('required = ["identifiers.phone"]\nfeilds = 1')
    import tomllib

    text = _MAPPING.format(extra="").replace('utc_offset = "-05:00"', 'utc_ofset = "-05:00"')
    with pytest.raises(AdapterConfigError) as zone:
        parse_mapping(tomllib.loads(text), "m.toml")

    assert "required 'identifiers.phone': not a target of [fields]" in str(bad.value)
    assert "unknown setting 'feilds'" in str(bad.value)
    assert "[timestamp] unknown key 'utc_ofset'" in str(zone.value)


def test_required_fields_and_rows_with_nobody_in_them_are_quarantined(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = [
        "receipt_id,sold_at,email,total",
        "r1,05/01/2026 10:00,a@example.com,1.00",
        "r2,05/01/2026 10:00,,2.00",  # no person at all
        "r3,05/01/2026 10:00,not-an-email,3.00",  # an identifier, but not a usable one
    ]
    path = tmp_path / "pos.csv"
    path.write_text("\n".join(rows) + "\n")
    plain = _mapping()
    plain.files = (path,)
    required = _mapping('required = ["identifiers.email"]')
    required.files = (path,)

    summary = run_ingest(session_factory, plain, source="pos")
    strict = run_ingest(session_factory, required, source="pos-strict")

    assert (summary.stored, summary.quarantined) == (1, 2)
    assert (strict.stored, strict.quarantined) == (1, 2)
    with session_factory() as session:
        reasons = {
            (q.source_name, q.position): q.reason
            for q in session.scalars(select(models.Quarantine))
        }
    assert "no identifier" in reasons["pos", "pos.csv:3"]
    assert "not usable" in reasons["pos", "pos.csv:4"]
    assert "required by the mapping" in reasons["pos-strict", "pos.csv:3"]
    assert "(column email)" in reasons["pos-strict", "pos.csv:3"]


def test_an_adapter_next_to_cdp_toml_runs_without_packaging(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    tmp_path: Path,
    session_factory: sessionmaker[Session],
) -> None:
    examples = Path(__file__).parents[2] / "examples" / "adapters"
    for name in ("reviews.py", "reviews.jsonl"):
        (tmp_path / name).write_text((examples / name).read_text())
    (tmp_path / "cdp.toml").write_text(
        '[sources.reviews]\nadapter = "reviews:ReviewsAdapter"\nfiles = ["reviews.jsonl"]\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CDP_SOURCES_FILE", str(tmp_path / "cdp.toml"))
    monkeypatch.setenv("CDP_DATABASE_URL", db_url)

    main(["ingest", "--adapter", "reviews:ReviewsAdapter", "--source", "adhoc", "reviews.jsonl"])
    main(["ingest", "reviews"])
    code, err = _cdp(capsys, monkeypatch, db_url, "ingest", "--adapter", "nope:X", "--source",
                     "s", "reviews.jsonl")  # fmt: skip

    with session_factory() as session:
        kinds = set(session.scalars(select(models.SourceRecord.kind)))
        sources = set(session.scalars(select(models.Source.adapter)))
    assert kinds == {"feedback"}
    assert sources == {"store.reviews"}
    assert code == 1
    assert "cannot import 'nope'" in err
