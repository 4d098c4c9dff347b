"""The SQL of a PostgreSQL ledger's administration: roles and their rights, and the upgrade from schema 1.

Statements only; ledger.admin runs them, in one transaction each, as the ledger's owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg.sql import SQL, Composed, Identifier, Literal

from ledger.postgres_guards import EVENT_IDS, fill_event_ids
from ledger.postgres_store import CHAIN, META, SCHEMA_VERSION
from ledger.sqlite_store import DERIVED_NAMES

ROLES = ("controller", "auditor")


def grant_statements(schema: str, events_table: str, role: str, name: str) -> list[Any]:
    """SQL that lets ``name`` log in and act as a controller (append and read) or an auditor (read).

    Nobody is granted INSERT, UPDATE, DELETE or TRUNCATE on any table: a
    controller appends only through ``perfledger_append`` and reads the head
    through ``perfledger_begin`` (ledger.postgres_guards), which check each
    event and write its chain row; the caches are the owner's to write.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    who, s = Identifier(name), Identifier(schema)
    tables = SQL(", ").join(SQL("{0}.{1}").format(s, Identifier(t))
                            for t in (events_table, CHAIN, META, EVENT_IDS, *DERIVED_NAMES))
    functions = ("perfledger_head()", "perfledger_begin()", "perfledger_append(bigint[], text[], bytea[])")
    statements = [
        SQL(
            "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {0}) THEN CREATE ROLE {1} LOGIN; "
            "END IF; END$$"
        ).format(Literal(name), who),
        SQL("GRANT USAGE ON SCHEMA {0} TO {1}").format(s, who),
        SQL("REVOKE ALL ON {0} FROM {1}").format(tables, who),
        SQL("REVOKE ALL ON SEQUENCE {0}.{1} FROM {2}").format(
            s, Identifier(f"{events_table}_notification_id_seq"), who),
        *(SQL("REVOKE ALL ON FUNCTION {0}.{1} FROM {2}").format(s, SQL(f), who) for f in functions),
        SQL("GRANT SELECT ON {0} TO {1}").format(tables, who),
    ]
    if role == "controller":
        statements += [
            SQL("GRANT EXECUTE ON FUNCTION {0}.{1} TO {2}").format(s, SQL(f), who) for f in functions
        ]
    return statements


def privilege_holders(schema: str, events_table: str) -> Composed:
    """The roles other than the owner that hold privileges on the schema's tables:
    (name, inserts, controller, reads).

    ``controller``: it may insert into the events table (a controller of schema version 1);
    ``reads``: it may read the events table; ``name`` is NULL for PUBLIC.
    """
    return SQL(
        "SELECT r.rolname AS name, bool_or(a.privilege_type = 'INSERT') AS inserts,"
        " bool_or(a.privilege_type = 'INSERT' AND c.relname = {1}) AS controller,"
        " bool_or(a.privilege_type = 'SELECT' AND c.relname = {1}) AS reads"
        " FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee"
        " WHERE c.relnamespace = to_regnamespace({0}) AND c.relkind IN ('r', 'p') AND a.grantee <> c.relowner"
        " GROUP BY a.grantee, r.rolname ORDER BY r.rolname NULLS FIRST"
    ).format(Literal(schema), Literal(events_table))


def upgrade_statements(
    create: Sequence[Composed],
    schema: str,
    events_table: str,
    holders: Sequence[tuple[str | None, bool, bool, bool]],
) -> list[Any]:
    """From schema version 1, 2 or 3, in one transaction: the recorder's ``create`` statements (idempotent;
    the guards, and the triggers that keep ``perfledger_event_ids`` as immutable as the events), the ids of
    the events already stored, the new version, and INSERT revoked from every role but the owner.

    ``holders`` are ``privilege_holders``' rows: a controller of version 1 is granted again as a
    controller (SELECT, and EXECUTE on the functions that append), a reader again as an auditor (which
    adds the new table), and any other role (or PUBLIC) that may insert loses INSERT on every table.
    The composite type the library creates exists already and is left out (it has no IF NOT EXISTS).
    """
    s = Identifier(schema)
    statements: list[Any] = [statement for statement in create if "CREATE TYPE" not in statement.as_string()]
    statements += [
        fill_event_ids(schema, events_table),
        SQL("UPDATE {0}.{1} SET value = {2} WHERE key = 'schema_version'").format(
            s, Identifier(META), Literal(str(SCHEMA_VERSION))),
    ]
    for name, inserts, controller, reads in holders:
        if name is not None and controller:
            statements += grant_statements(schema, events_table, "controller", name)
        elif inserts:
            statements.append(SQL("REVOKE INSERT ON ALL TABLES IN SCHEMA {0} FROM {1}").format(
                s, SQL("PUBLIC") if name is None else Identifier(name)))
        if name is not None and reads and not controller:
            statements += grant_statements(schema, events_table, "auditor", name)
    return statements
