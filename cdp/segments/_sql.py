"""Portable SQL pieces whose plain SQLAlchemy forms differ between SQLite and PostgreSQL.

- `json_text(column, *keys)`: the string at a path of a JSON column, NULL when the path is
  missing or holds anything but a string (PostgreSQL's `->>` would turn `5` into `'5'` where
  SQLite's `json_extract` gives the number 5: typed this way both agree).
- `text_contains(column, value)`: whether the text contains `value`, case-sensitively on both
  (`LIKE` is case-insensitive on SQLite and not on PostgreSQL).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, String, bindparam, false, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

__all__ = ["json_text", "json_text_in", "text_contains", "text_starts_with"]


class JsonText(FunctionElement[str]):
    type = String()
    name = "json_text"
    inherit_cache = True


def json_text(column: ColumnElement[Any], *keys: str) -> ColumnElement[str]:
    """The text at `column -> keys[0] -> keys[1]...` (NULL unless it is a JSON string)."""
    path = "$" + "".join('."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"' for key in keys)
    binds = [bindparam(None, key, type_=String()) for key in keys]
    return JsonText(column, bindparam(None, path, type_=String()), *binds)


@compiles(JsonText, "sqlite")
def _json_text_sqlite(element: JsonText, compiler: Any, **kw: Any) -> str:
    column, path, *_ = list(element.clauses)
    col, where = compiler.process(column, **kw), compiler.process(path, **kw)
    return f"CASE WHEN json_type({col}, {where}) = 'text' THEN json_extract({col}, {where}) END"


@compiles(JsonText)
def _json_text_postgresql(element: JsonText, compiler: Any, **kw: Any) -> str:
    column, _, *keys = list(element.clauses)
    parts = [f"CAST({compiler.process(key, **kw)} AS TEXT)" for key in keys]
    inner = compiler.process(column, **kw)
    for part in parts[:-1]:
        inner = f"({inner} -> {part})"
    last = parts[-1]
    return f"CASE WHEN jsonb_typeof({inner} -> {last}) = 'string' THEN {inner} ->> {last} END"


class TextContains(FunctionElement[int]):
    name = "text_contains"
    inherit_cache = True


@compiles(TextContains, "sqlite")
def _contains_sqlite(element: TextContains, compiler: Any, **kw: Any) -> str:
    column, value = list(element.clauses)
    return f"instr({compiler.process(column, **kw)}, {compiler.process(value, **kw)})"


@compiles(TextContains)
def _contains_postgresql(element: TextContains, compiler: Any, **kw: Any) -> str:
    column, value = list(element.clauses)
    return (
        f"strpos(CAST({compiler.process(column, **kw)} AS TEXT), "
        f"CAST({compiler.process(value, **kw)} AS TEXT))"
    )


def text_contains(column: ColumnElement[Any], value: str) -> ColumnElement[bool]:
    """Whether `column` contains `value` (case-sensitive; NULL when the column is NULL)."""
    return TextContains(column, bindparam(None, value, type_=String())) > 0


def text_starts_with(column: ColumnElement[Any], value: str) -> ColumnElement[bool]:
    """Whether `column` starts with `value` (case-sensitive; NULL when the column is NULL)."""
    return func.substr(column, 1, len(value)) == bindparam(None, value, type_=String())


class JsonPath(FunctionElement[Any]):
    """The JSON value at a path (SQLite: `json_extract`, the SQL value; PostgreSQL: `->`, jsonb)."""

    name = "json_path"
    inherit_cache = True


@compiles(JsonPath, "sqlite")
def _json_path_sqlite(element: JsonPath, compiler: Any, **kw: Any) -> str:
    column, path, *_ = list(element.clauses)
    return f"json_extract({compiler.process(column, **kw)}, {compiler.process(path, **kw)})"


@compiles(JsonPath)
def _json_path_postgresql(element: JsonPath, compiler: Any, **kw: Any) -> str:
    column, _, *keys = list(element.clauses)
    inner = str(compiler.process(column, **kw))
    for key in keys:
        inner = f"({inner} -> CAST({compiler.process(key, **kw)} AS TEXT))"
    return inner


class JsonString(FunctionElement[Any]):
    """A text as a JSON string (SQLite: the text; PostgreSQL: a jsonb string)."""

    name = "json_string"
    inherit_cache = True


@compiles(JsonString, "sqlite")
def _json_string_sqlite(element: JsonString, compiler: Any, **kw: Any) -> str:
    text, _ = list(element.clauses)
    return str(compiler.process(text, **kw))


@compiles(JsonString)
def _json_string_postgresql(element: JsonString, compiler: Any, **kw: Any) -> str:
    _, encoded = list(element.clauses)
    return f"CAST({compiler.process(encoded, **kw)} AS JSONB)"


def json_text_in(
    column: ColumnElement[Any], keys: tuple[str, ...], values: list[str]
) -> ColumnElement[bool]:
    """Whether the JSON value at `keys` is a string among `values` (false, never NULL, when it
    is missing or not a string): one lookup per row, where `json_text(...) IN (...)` takes two.
    SQLite compares `json_extract`'s SQL value (a number never equals a text); PostgreSQL
    compares jsonb values (the string "5" is not the number 5)."""
    path = "$" + "".join('."' + k.replace("\\", "\\\\").replace('"', '\\"') + '"' for k in keys)
    binds = [bindparam(None, key, type_=String()) for key in keys]
    found = JsonPath(column, bindparam(None, path, type_=String()), *binds)
    wanted = [
        JsonString(
            bindparam(None, v, type_=String()), bindparam(None, json.dumps(v), type_=String())
        )
        for v in values
    ]
    test = found == wanted[0] if len(wanted) == 1 else found.in_(wanted)
    return func.coalesce(test, false())
