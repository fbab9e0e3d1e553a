"""A data engineer's mapping through `cdp.cli.main`, as they would run it: a CRM export with its
own columns, a channel declared in cdp.toml, phones of several countries, dates before 2000,
and the errors they get when the file and the mapping disagree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from cdp import models
from cdp.app import create_app
from cdp.cli import main
from cdp.config import Settings
from cdp.db import unit_of_work
from cdp.services.keys import create_key

CRM_MAPPING = """\
name = "crm.export"
channel = "crm"
kind = "profile"
format = "csv"
key = "rec_id"
phone_region = "AU"

[timestamp]
constant = "1999-12-31T00:00:00Z"

[fields]
"identifiers.customer_id" = "rec_id"
"identifiers.phone" = "phone"
"identifiers.email" = { column = "email", strip = true }
"person.given_name" = "given_name"
"person.family_name" = "surname"
"person.gender" = "sex"
"person.birth_date" = { column = "date_of_birth", format = "%Y%m%d" }
"person.address.line1" = { join = ["street_number", "address_1"], sep = " " }
"person.address.city" = "suburb"
"person.address.postcode" = "postcode"
"person.address.region" = "state"
"person.address.country" = { column = "country", strip = true, default = "AU" }
"""

CRM_ROWS = """\
rec_id,given_name,surname,sex,date_of_birth,street_number,address_1,suburb,postcode,state,country,phone,email
c-1,Michaela,Neumann,f,19151111,8,Stanley Street,Miami,4223,QLD,,(07) 3374 4000, mn@example.com
c-2,Wei,Zhang,m,19800102,,科技园路1号,深圳市,518057,广东省,中国,138 0013 8000,
c-3,Lisa,Ritter,f,19560231,12,Canyon Dr,San Diego,92101,CA,US,(415) 555-0123,lisa@example.com
"""


def _run(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """`cdp ARGS` through `cdp.cli.main`: exit code, stdout, stderr."""
    runner = CliRunner()
    with runner.isolation(env=env) as (out, err, _):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue().decode(), err.getvalue().decode()


def _env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {"CDP_DATABASE_URL": db_url, "CDP_SOURCES_FILE": str(tmp_path / "cdp.toml")}


def _crm(tmp_path: Path, rows: str = CRM_ROWS, mapping: str = CRM_MAPPING) -> tuple[Path, Path]:
    (tmp_path / "crm.toml").write_text(mapping, encoding="utf-8")
    (tmp_path / "crm.csv").write_text(rows, encoding="utf-8")
    return tmp_path / "crm.toml", tmp_path / "crm.csv"


def test_a_crm_export_is_ingested_through_its_mapping(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    mapping, rows = _crm(tmp_path)
    args = ["ingest", "--mapping", str(mapping), "--source", "crm", str(rows)]

    code, out, err = _run(args, _env(db_url, tmp_path))

    assert code == 0, err
    assert "read 3 = stored 3 + duplicates skipped 0 + quarantined 0" in out
    with unit_of_work(session_factory) as session:
        records = {
            r.external_id: r
            for r in session.scalars(select(models.SourceRecord).order_by(models.SourceRecord.id))
        }
        phones = dict(
            session.execute(
                select(models.SourceRecord.external_id, models.Identifier.value)
                .join(models.Identifier, models.Identifier.record_id == models.SourceRecord.id)
                .where(models.Identifier.kind == "phone")
            ).all()
        )
        source = session.scalar(select(models.Source).where(models.Source.name == "crm"))
        profiles = session.scalar(select(models.Profile).where(models.Profile.status == "active"))
    assert source is not None
    assert source.channel == "crm"
    assert profiles is not None  # resolved after the batch
    michaela = records["c-1"].attributes
    assert michaela["birth_date"] == "1915-11-11"
    assert michaela["address"] == {
        "line1": "8 Stanley Street",
        "city": "Miami",
        "postcode": "4223",
        "region": "QLD",
        "country": "AU",
    }
    assert records["c-1"].occurred_at.year == 1999
    assert records["c-3"].attributes["birth_date"] == "19560231"  # no such date: kept as written
    assert records["c-2"].attributes["address"]["line1"] == "科技园路1号"  # a blank part left out
    assert phones == {
        "c-1": "+61733744000",  # the mapping's phone region
        "c-2": "+8613800138000",  # the address says China
        "c-3": "+14155550123",  # the address says US
    }


def test_the_mapped_fields_identity_does_not_use_are_named_when_loading(
    db_url: str, tmp_path: Path
) -> None:
    mapping, rows = _crm(tmp_path)

    code, _, err = _run(
        ["ingest", "--mapping", str(mapping), "--source", "crm", str(rows)],
        _env(db_url, tmp_path),
    )

    assert code == 0
    (note,) = [line for line in err.splitlines() if line.startswith("note: ")]
    unused = note.partition("no identity comparison uses ")[2].partition(" (")[0].split(", ")
    assert unused == [  # the city is a blocking key (family name Soundex + city); these not
        "person.gender",
        "person.address.region",
        "person.address.country",
    ]


def test_a_file_without_the_mapped_columns_fails_before_reading_naming_them(
    db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    rows = "rec_id,given_name,surname,phone\nc-1,Ann,Lee,0400 000 000\n"
    mapping, path = _crm(tmp_path, rows=rows)

    code, out, err = _run(
        ["ingest", "--mapping", str(mapping), "--source", "crm", str(path)],
        _env(db_url, tmp_path),
    )

    assert code != 0
    assert out == ""
    (line,) = err.strip().splitlines()
    assert "crm.csv has no column 'email', 'sex', 'date_of_birth', 'street_number'," in line
    assert "its columns are 'rec_id', 'given_name', 'surname', 'phone'" in line
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(models.SourceRecord)) is None
        assert session.scalar(select(models.Quarantine)) is None
        assert session.scalar(select(models.Source)) is None


def test_a_bad_mapping_is_one_line_naming_every_problem(db_url: str, tmp_path: Path) -> None:
    broken = CRM_MAPPING.replace('constant = "1999-12-31T00:00:00Z"', 'source = "file"')
    broken = broken.replace('sep = " "', 'sep = " ", trim = true')
    mapping, rows = _crm(tmp_path, mapping=broken)

    code, _, err = _run(
        ["ingest", "--mapping", str(mapping), "--source", "crm", str(rows)],
        _env(db_url, tmp_path),
    )

    assert code != 0
    (line,) = err.strip().splitlines()
    assert "source = 'file'" in line
    assert "'trim'" in line


CALLS_MAPPING = """\
channel = "callcenter"
kind = "profile"
format = "csv"
key = "call_id"

[timestamp]
source = "ingest"

[fields]
"identifiers.phone" = "caller"
"person.full_name" = "name"
"""


def _gql(client: TestClient, key: str, query: str) -> dict[str, Any]:
    response = client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {key}"}
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]


def test_a_channel_declared_in_cdp_toml_with_its_source_phone_region(
    db_url: str, tmp_path: Path, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    (tmp_path / "calls.toml").write_text(CALLS_MAPPING, encoding="utf-8")
    (tmp_path / "calls.csv").write_text(
        "call_id,caller,name\nk-1,020 7946 0000,Jane Roe\nk-2,13800138000,张伟\n", encoding="utf-8"
    )
    (tmp_path / "cdp.toml").write_text(
        'channels = ["callcenter"]\n\n'
        '[sources.calls]\nmapping = "calls.toml"\nfiles = ["calls.csv"]\nphone_region = "GB"\n',
        encoding="utf-8",
    )

    code, out, err = _run(["ingest", "calls"], _env(db_url, tmp_path))

    assert code == 0, err
    assert "stored 2" in out
    with unit_of_work(session_factory) as session:
        phones = set(
            session.scalars(
                select(models.Identifier.value).where(models.Identifier.kind == "phone")
            )
        )
        key = create_key(session, role="analyst", name="test").key
    assert phones == {"+442079460000", "+8613800138000"}  # the source's region; a Chinese name
    with TestClient(create_app(settings)) as client:
        data = _gql(
            client,
            key,
            "{ other: profiles(filter: {channel: OTHER}) { nodes { channels } }"
            " crm: profiles(filter: {channel: CRM}) { nodes { id } } }",
        )
    assert [node["channels"] for node in data["other"]["nodes"]] == [["OTHER"], ["OTHER"]]
    assert data["crm"]["nodes"] == []


def test_an_undeclared_channel_is_refused_naming_the_valid_ones(
    db_url: str, tmp_path: Path
) -> None:
    (tmp_path / "calls.toml").write_text(CALLS_MAPPING, encoding="utf-8")
    (tmp_path / "calls.csv").write_text("call_id,caller,name\nk-1,1,x\n", encoding="utf-8")

    code, _, err = _run(
        ["ingest", "--mapping", str(tmp_path / "calls.toml"), "--source", "calls",
         str(tmp_path / "calls.csv")],
        _env(db_url, tmp_path),
    )  # fmt: skip

    assert code != 0
    (line,) = err.strip().splitlines()
    assert "channel = 'callcenter': expected one of web, social, email, store, crm" in line
