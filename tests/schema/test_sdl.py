from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from cdp.cli import cli
from cdp.config import Settings
from schema import build_schema

ROOT = Path(__file__).resolve().parents[2]
BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def test_committed_schema_matches_code_when_checked() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")

    current = build_schema(Settings()).as_str() + "\n"

    assert committed == current, (
        "schema.graphql drifted from the code: run `cdp schema export`, review the diff "
        "(breaking changes need a deprecation first), and commit it"
    )


def test_every_type_field_and_argument_has_a_description() -> None:
    graphql_schema = build_schema(Settings())._schema
    missing: list[str] = []
    for name, type_ in graphql_schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        if not type_.description:
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing += [
                    f"{name}.{field_name}({arg})"
                    for arg, definition in field.args.items()
                    if not definition.description
                ]
        elif isinstance(type_, GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, d in type_.fields.items() if not d.description]
        elif isinstance(type_, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, d in type_.values.items() if not d.description]

    assert missing == []


def test_cli_export_writes_schema_and_check_fails_on_drift(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    runner = CliRunner()

    written = runner.invoke(cli, ["schema", "export", "-o", str(target)])
    fresh = runner.invoke(cli, ["schema", "export", "--check", "-o", str(target)])
    target.write_text(target.read_text() + "\ntype Stale { x: Int }\n")
    stale = runner.invoke(cli, ["schema", "export", "--check", "-o", str(target)])

    assert written.exit_code == 0, written.output
    assert '"""A postal address (street lines masked for analysts)."""\ntype Address {' in (
        target.read_text()
    )
    assert fresh.exit_code == 0
    assert stale.exit_code == 1
    assert "is out of date with the schema; run `cdp schema export" in stale.output
