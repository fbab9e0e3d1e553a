"""PostgreSQL: rewriting whole tables by building new ones and swapping them in.

When a full run gives most records a new profile, updating `profile_id` in place writes a
new version of every row (the old one stays behind, dead, until a vacuum), and each new
version is inserted into every index of its table. Instead, each table is copied once into
a new table, with the new values joined in, and the new table takes the old one's place:
its name, its indexes and constraints (built once, by a sort), its triggers, the foreign
keys pointing at it and the sequences its columns own. Everything happens in the caller's
transaction: a failure rolls the old table back in place.

Privileges the owner granted on a table are granted again on its new copy, in the same
order, so the table's access list comes out the same. The swap is used only for tables whose
definition it reproduces exactly (`swappable`): no privileges granted by another role, nor
owner's privileges revoked, nor default privileges (the new table would get them), no
comments, row security, rules or views, publications,
extended statistics, storage options, identity columns, inheritance, per-column statistics
settings, unvalidated constraints, disabled triggers, clustered or tablespace-placed
indexes, nor another owner of the table or of its sequences. Otherwise the caller updates
in place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["Rewrite", "swap_statements", "swappable"]


@dataclass(frozen=True)
class Rewrite:
    """Table `table` (alias `t`) copied with `values` (column -> SQL expression over `t` and
    what `join` adds) instead of those columns; `join` follows `FROM table AS t`."""

    table: str
    join: str
    values: Mapping[str, str]


# What would make the new table differ from the old one, or what a swap would lose: any row
# found stops the swap (each query takes the table's oid as `:t`).
_OBSTACLES = {
    "not a plain permanent table owned by the current user, or with storage options, row "
    "security or another replica identity": """
        SELECT 1 FROM pg_class WHERE oid = :t AND NOT (relkind = 'r' AND relpersistence = 'p'
        AND reloptions IS NULL AND NOT relrowsecurity
        AND relreplident = 'd' AND relowner = (SELECT oid FROM pg_roles
        WHERE rolname = current_user))""",
    "privileges granted by another role, or the owner's own revoked": """
        SELECT 1 FROM pg_class c WHERE c.oid = :t AND c.relacl IS NOT NULL AND (
            EXISTS (SELECT 1 FROM aclexplode(c.relacl) a WHERE a.grantor <> c.relowner)
            OR ARRAY(SELECT a.privilege_type || a.is_grantable::text
                     FROM aclexplode(c.relacl) a WHERE a.grantee = c.relowner ORDER BY 1)
            <> ARRAY(SELECT a.privilege_type || a.is_grantable::text
                     FROM aclexplode(acldefault('r', c.relowner)) a ORDER BY 1))""",
    "default privileges": "SELECT 1 FROM pg_default_acl",
    "sequences owned by another role": """
        SELECT 1 FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
        WHERE d.refobjid = :t AND d.classid = 'pg_class'::regclass AND d.deptype = 'a'
        AND s.relkind = 'S' AND s.relowner <> (SELECT oid FROM pg_roles
        WHERE rolname = current_user)""",
    "inheritance": "SELECT 1 FROM pg_inherits WHERE inhrelid = :t OR inhparent = :t",
    "comments": """
        SELECT 1 FROM pg_description WHERE objoid = :t
            OR objoid IN (SELECT oid FROM pg_constraint WHERE conrelid = :t)
            OR objoid IN (SELECT indexrelid FROM pg_index WHERE indrelid = :t)""",
    "rules or views": """
        SELECT 1 FROM pg_depend WHERE refobjid = :t
        AND classid = 'pg_rewrite'::regclass""",
    "publications": """
        SELECT 1 FROM pg_publication_rel WHERE prrelid = :t
        UNION ALL SELECT 1 FROM pg_publication WHERE puballtables""",
    "extended statistics": "SELECT 1 FROM pg_statistic_ext WHERE stxrelid = :t",
    "column statistics settings, privileges or identity": """
        SELECT 1 FROM pg_attribute WHERE attrelid = :t AND attnum > 0 AND NOT attisdropped
        AND (attidentity <> '' OR attacl IS NOT NULL OR attstattarget >= 0
             OR EXISTS (SELECT 1 FROM unnest(attoptions) AS o WHERE o LIKE 'n_distinct%'))""",
    "clustered, invalid or tablespace-placed indexes": """
        SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = :t AND (i.indisclustered OR NOT i.indisvalid
              OR c.reltablespace <> 0 OR c.reloptions IS NOT NULL)""",
    "constraints not validated": """
        SELECT 1 FROM pg_constraint WHERE (conrelid = :t OR confrelid = :t)
        AND NOT convalidated""",
    "disabled triggers": """
        SELECT 1 FROM pg_trigger WHERE tgrelid = :t AND NOT tgisinternal
        AND tgenabled <> 'O'""",
}


def swappable(session: Session, tables: Sequence[str]) -> bool:
    """Whether every one of `tables` (in the search path) can be swapped exactly."""
    for table in tables:
        oid = session.scalar(text("SELECT to_regclass(:name)::oid"), {"name": table})
        if oid is None:
            return False
        for query in _OBSTACLES.values():
            if session.execute(text(query), {"t": oid}).first() is not None:
                return False
    return True


@dataclass(frozen=True)
class _Definition:
    """What `CREATE TABLE ... (LIKE ...)` does not copy, as statements to run again."""

    constraints: list[str]  # primary and unique keys, exclusions (checks come with LIKE)
    foreign_keys: list[tuple[str, str, str]]  # (table, name, definition), own and incoming
    indexes: list[str]
    triggers: list[str]
    sequences: list[tuple[str, str]]  # (sequence, column) owned by the table's columns
    columns: list[str]
    grants: list[tuple[str, str, bool]]  # (privileges, grantee, grant option), in ACL order


def _quote(session: Session, name: str) -> str:
    """`name` as an SQL identifier (quoted where PostgreSQL needs it), without a round trip."""
    return str(session.get_bind().dialect.identifier_preparer.quote(name))


def _definition(session: Session, table: str) -> _Definition:
    params = {"t": session.scalar(text("SELECT to_regclass(:name)::oid"), {"name": table})}

    def rows(query: str) -> list[Any]:
        return [tuple(row) for row in session.execute(text(query), params)]

    table_sql = _quote(session, table)
    constraints = [
        f"ALTER TABLE {table_sql} ADD CONSTRAINT {quote_ident} {definition}"
        for quote_ident, definition in rows(
            "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = :t AND contype IN ('p', 'u', 'x') ORDER BY conname"
        )
    ]
    foreign_keys = rows(
        "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE contype = 'f' AND (conrelid = :t OR confrelid = :t) "
        "ORDER BY conrelid::regclass::text, conname"
    )
    indexes = [
        definition
        for (definition,) in rows(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c "
            "ON c.oid = i.indexrelid WHERE i.indrelid = :t AND NOT EXISTS (SELECT 1 FROM "
            "pg_constraint WHERE conindid = i.indexrelid AND conrelid = :t) ORDER BY c.relname"
        )
    ]
    triggers = [
        definition
        for (definition,) in rows(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = :t "
            "AND NOT tgisinternal ORDER BY tgname"
        )
    ]
    sequences = rows(
        "SELECT d.objid::regclass::text, quote_ident(a.attname) FROM pg_depend d "
        "JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
        "WHERE d.refobjid = :t AND d.classid = 'pg_class'::regclass "
        "AND d.deptype = 'a' AND d.objid IN (SELECT oid FROM pg_class WHERE relkind = 'S') "
        "ORDER BY 1"
    )
    columns = [
        name
        for (name,) in rows(
            "SELECT attname FROM pg_attribute WHERE attrelid = :t AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum"
        )
    ]
    # The owner's privileges come back by themselves; each other grantee's (PUBLIC is 0) are
    # granted again in the order of the access list, which GRANT appends to.
    grants: list[tuple[str, str, bool]] = []
    for grantee, privilege, grantable in rows(
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid("
        "a.grantee)) END, a.privilege_type, a.is_grantable FROM pg_class c, "
        "aclexplode(c.relacl) WITH ORDINALITY a WHERE c.oid = :t AND a.grantee <> c.relowner "
        "ORDER BY a.ordinality"
    ):
        if grants and grants[-1][1:] == (grantee, grantable):
            grants[-1] = (f"{grants[-1][0]}, {privilege}", grantee, grantable)
        else:
            grants.append((privilege, grantee, grantable))
    return _Definition(constraints, foreign_keys, indexes, triggers, sequences, columns, grants)


def swap_statements(session: Session, rewrites: Sequence[Rewrite]) -> tuple[list[str], list[str]]:
    """The statements that rewrite each table of `rewrites` by a swap: those copying the rows
    (the old tables are only read), and those putting the new tables in place with their
    indexes, constraints, triggers and foreign keys. The tables are locked against writes
    first, so no row written meanwhile can be left behind; they stay locked until the
    transaction ends. Read the catalog now: run before anything changes it."""
    definitions = {rewrite.table: _definition(session, rewrite.table) for rewrite in rewrites}
    names = {table: _quote(session, table) for table in definitions}
    new = {table: _quote(session, f"{table}__swap") for table in definitions}
    copy = [f"LOCK TABLE {', '.join(names.values())} IN ACCESS EXCLUSIVE MODE"]
    for rewrite in rewrites:
        definition = definitions[rewrite.table]
        old, fresh = names[rewrite.table], new[rewrite.table]
        copy.append(
            f"CREATE TABLE {fresh} (LIKE {old} INCLUDING DEFAULTS INCLUDING GENERATED "
            "INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION)"
        )
        selected = ", ".join(
            rewrite.values.get(column, f"t.{_quote(session, column)}")
            for column in definition.columns
        )
        copy.append(f"INSERT INTO {fresh} SELECT {selected} FROM {old} AS t {rewrite.join}")
    # Every foreign key at or from a swapped table goes (those from a swapped table would go
    # with it; dropping them first lets the tables they point at be dropped in any order)
    # and comes back once the new tables are in place.
    foreign_keys = sorted({fk for d in definitions.values() for fk in d.foreign_keys})
    swap = [f"ALTER TABLE {table} DROP CONSTRAINT {name}" for table, name, _ in foreign_keys]
    for table, definition in definitions.items():
        swap += [
            f"ALTER SEQUENCE {sequence} OWNED BY {new[table]}.{column}"
            for sequence, column in definition.sequences
        ]
        swap += [f"DROP TABLE {names[table]}", f"ALTER TABLE {new[table]} RENAME TO {names[table]}"]
        swap += definition.constraints + definition.indexes + definition.triggers
        swap += [
            f"GRANT {privileges} ON {names[table]} TO {grantee}"
            + (" WITH GRANT OPTION" if grantable else "")
            for privileges, grantee, grantable in definition.grants
        ]
    swap += [f"ALTER TABLE {table} ADD CONSTRAINT {name} {fk}" for table, name, fk in foreign_keys]
    return copy, swap
