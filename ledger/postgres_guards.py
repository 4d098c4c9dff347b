"""What PostgreSQL enforces by itself on a shared ledger (schema version 2 and later).

Nobody but the schema's owner holds INSERT, UPDATE, DELETE or TRUNCATE on any
of the ledger's tables. Every write of an event goes through
``perfledger_append``, a function owned by the schema's owner (``SECURITY
DEFINER``, with a fixed ``search_path``), and every row inserted into the
events table, by that function or by the owner, passes a trigger that checks
what the database can judge without perfledger's rules:

- the event is the next one: its sequence number is the head's plus one, in
  the stored body too, and writers are serialised by a transaction lock;
- it links to the head: its ``prev`` is the head's hash;
- its hash is the server's: the chain row is written by the trigger itself,
  with PostgreSQL's ``sha256()`` of the stored bytes;
- its id is new once NFC-normalised (``perfledger_event_ids``);
- its ``recorded_at`` is the server's clock: not before the head's, not after
  the server's ``clock_timestamp()``, and not before the transaction began,
  except in the transaction that creates the ledger, where a migrated history
  keeps its own instants (and the ``HistoryMigrated`` event that closes it
  must carry the server's clock).

``perfledger_begin`` takes the writers' lock and tells the writer the head
and the server's clock, which the writer stamps on the events it then builds.
What only perfledger's rules can judge (availability, references,
signatures) is checked by the writer and again by ``perfledger verify``.
The read model, budget checkpoints and snapshots are caches, written only by
the owner's perfledger: a controller's append leaves them behind, and a query
replays the events instead (exact, slower) until the owner's ``db refresh``.
"""

from __future__ import annotations

from typing import Any

import orjson
from psycopg.sql import SQL, Composed, Identifier, Literal

from events import GENESIS

EVENT_IDS = "perfledger_event_ids"
WRITING = "perfledger_writing"  # the open write transactions: their instant, and whether they create


_HEAD = """
CREATE OR REPLACE FUNCTION {s}.perfledger_head()
RETURNS TABLE (seq bigint, hash text, recorded_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT c.seq, c.hash, coalesce(i.recorded_at, (
    SELECT (convert_from(e.state, 'UTF8')::jsonb->>'recorded_at')::timestamptz FROM {s}.{events} e
    WHERE e.originator_id = {ledger} AND e.originator_version = c.seq))
  FROM {s}.perfledger_chain c
  LEFT JOIN {s}.{event_ids} i ON i.seq = c.seq
  ORDER BY c.seq DESC LIMIT 1
$$
"""

_BEGIN = """
CREATE OR REPLACE FUNCTION {s}.perfledger_begin() RETURNS TABLE (seq bigint, hash text, now timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  head record;
  moment timestamptz;
BEGIN
  -- The writers' lock: a table only the owner (this function's definer) may lock so, not a key
  -- anyone could take. Held to the end of the transaction.
  LOCK TABLE {s}.{writing} IN EXCLUSIVE MODE;
  SELECT * INTO head FROM {s}.perfledger_head() h;
  moment := greatest(clock_timestamp(), head.recorded_at);
  DELETE FROM {s}.{writing} WHERE began < clock_timestamp() - interval '1 day';
  -- What the trigger holds this transaction's events to: its instant, and whether it creates the ledger.
  INSERT INTO {s}.{writing} VALUES (txid_current(), moment, head.seq IS NULL) ON CONFLICT (txid) DO NOTHING;
  RETURN QUERY SELECT coalesce(head.seq, 0::bigint), coalesce(head.hash, {genesis}), moment;
END
$$
"""

_CHECK = """
CREATE OR REPLACE FUNCTION {s}.perfledger_check_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  body jsonb;
  head record;
  at timestamptz;
  writing record;
  ident text;
  holder bigint;
  shape jsonb;
BEGIN
  SELECT w.began, w.creating INTO writing FROM {s}.{writing} w WHERE w.txid = txid_current();
  IF NOT FOUND THEN
    RAISE EXCEPTION
      'perfledger: event % is not written under the writers'' lock (call perfledger_begin first)',
      NEW.originator_version;
  END IF;
  -- The head, read here rather than through perfledger_head(): PL/pgSQL keeps these plans.
  SELECT c.seq, c.hash, i.recorded_at INTO head FROM {s}.perfledger_chain c
    LEFT JOIN {s}.{event_ids} i ON i.seq = c.seq ORDER BY c.seq DESC LIMIT 1;
  IF head.seq IS NOT NULL AND head.recorded_at IS NULL THEN  -- a head of before the ids kept instants
    SELECT * INTO head FROM {s}.perfledger_head() h;
  END IF;
  IF NEW.originator_id IS DISTINCT FROM {ledger} THEN
    RAISE EXCEPTION 'perfledger: event % names another ledger', NEW.originator_version;
  END IF;
  IF NEW.originator_version IS DISTINCT FROM coalesce(head.seq, 0) + 1 THEN
    RAISE EXCEPTION 'perfledger: event % is not the next event (the head is %)',
      NEW.originator_version, coalesce(head.seq, 0) USING ERRCODE = 'unique_violation';
  END IF;
  -- Not JSON in UTF-8: the cast itself refuses it (no subtransaction per row to reword it).
  body := convert_from(NEW.state, 'UTF8')::jsonb;
  IF jsonb_typeof(body) IS DISTINCT FROM 'object'
     OR jsonb_typeof(body->'seq') IS DISTINCT FROM 'number'
     OR (body->>'seq') IS DISTINCT FROM NEW.originator_version::text THEN
    RAISE EXCEPTION 'perfledger: event % does not say it is event %', NEW.originator_version,
      NEW.originator_version;
  END IF;
  IF (body->>'prev') IS DISTINCT FROM coalesce(head.hash, {genesis}) THEN
    RAISE EXCEPTION 'perfledger: event % does not link to the head (event %)', NEW.originator_version,
      coalesce(head.seq, 0);
  END IF;
  shape := {shapes} -> NEW.topic;
  IF shape IS NULL THEN
    RAISE EXCEPTION 'perfledger: event % has the unknown type %', NEW.originator_version, NEW.topic;
  END IF;
  IF (shape->>'type') IS DISTINCT FROM (body->>'type') THEN
    RAISE EXCEPTION 'perfledger: event % is stored as % but says it is %', NEW.originator_version,
      NEW.topic, body->>'type';
  END IF;
  IF jsonb_typeof(body->'v') IS DISTINCT FROM 'number' OR (body->'v')::text !~ '^[1-9][0-9]*$'
     OR (SELECT jsonb_agg(k ORDER BY k COLLATE "C") FROM jsonb_object_keys(body - 'signature') AS k)
        IS DISTINCT FROM (shape->'keys'->((body->'v')::text)) THEN
    RAISE EXCEPTION 'perfledger: event % does not have the fields of % version %', NEW.originator_version,
      shape->>'type', body->'v';
  END IF;
  IF jsonb_typeof(body->'id') IS DISTINCT FROM 'string'
     OR jsonb_typeof(body->'actor') IS DISTINCT FROM 'string'
     OR jsonb_typeof(body->'note') IS DISTINCT FROM 'string'
     OR jsonb_typeof(body->'act') NOT IN ('null', 'object')
     OR coalesce(jsonb_typeof(body->'signature'), 'string') IS DISTINCT FROM 'string'
     OR (body->>'effective_date') !~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' THEN
    RAISE EXCEPTION 'perfledger: event % has an envelope field of the wrong kind', NEW.originator_version;
  END IF;
  PERFORM (body->>'effective_date')::date;  -- not a day: the cast refuses it
  IF (body->>'recorded_at') IS NULL OR jsonb_typeof(body->'recorded_at') IS DISTINCT FROM 'string'
     OR (body->>'recorded_at')
        !~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}[.][0-9]{{6}}Z$' THEN
    RAISE EXCEPTION 'perfledger: event % has no recorded_at spelt YYYY-MM-DDTHH:MM:SS.ffffffZ',
      NEW.originator_version;
  END IF;
  at := (body->>'recorded_at')::timestamptz;  -- not an instant: the cast refuses it
  IF head.recorded_at IS NOT NULL AND at < head.recorded_at THEN
    RAISE EXCEPTION 'perfledger: event % is recorded at %, before the event before it (%)',
      NEW.originator_version, at, head.recorded_at;
  END IF;
  IF at > greatest(clock_timestamp(), head.recorded_at) THEN
    RAISE EXCEPTION 'perfledger: event % is recorded at %, after the server''s clock (%)',
      NEW.originator_version, at, clock_timestamp();
  END IF;
  IF (body->>'type') = 'HistoryMigrated' AND NOT writing.creating THEN
    RAISE EXCEPTION 'perfledger: event % declares a migration, which only the batch creating the ledger may',
      NEW.originator_version;
  END IF;
  IF at < writing.began AND (NOT writing.creating OR (body->>'type') = 'HistoryMigrated') THEN
    RAISE EXCEPTION
      'perfledger: event % is recorded at %, not by the server''s clock (the writing began at %)',
      NEW.originator_version, at, writing.began;
  END IF;
  ident := normalize(coalesce(body->>'id', ''), NFC);
  SELECT i.seq INTO holder FROM {s}.{event_ids} i WHERE i.id = ident;
  IF FOUND THEN
    RAISE EXCEPTION 'perfledger: event % reuses the id % of event %', NEW.originator_version, ident, holder;
  END IF;
  INSERT INTO {s}.{event_ids} VALUES (ident, NEW.originator_version, at);
  INSERT INTO {s}.perfledger_chain VALUES (NEW.originator_version, encode(sha256(NEW.state), 'hex'));
  RETURN NEW;
END
$$
"""

_APPEND = """
CREATE OR REPLACE FUNCTION {s}.perfledger_append(seqs bigint[], topics text[], states bytea[]) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  INSERT INTO {s}.{events} (originator_id, originator_version, topic, state)
  SELECT {ledger}, u.seq, u.topic, u.state FROM unnest(seqs, topics, states) AS u(seq, topic, state)
  ORDER BY u.seq
$$
"""


def event_shapes() -> dict[str, dict[str, Any]]:
    """Each stored topic's type, version and body keys (sorted, without a signature): what the trigger
    lets in. A body of other keys would not decode for any reader."""
    from ledger.chain_check import TOPICS, fields_of

    return {topic: {"type": cls.TYPE, "keys": {str(v): sorted(fields_of(cls, v)) for v in cls.versions()}}
            for topic, cls in TOPICS.items()}


def guard_statements(schema: str, events_table: str, ledger: str) -> list[Composed]:
    """The DDL of the guards above, for one schema (run by its owner; idempotent)."""
    names = {
        "s": Identifier(schema),
        "events": Identifier(events_table),
        "event_ids": Identifier(EVENT_IDS),
        "writing": Identifier(WRITING),
        "ledger": SQL("{0}::uuid").format(Literal(ledger)),
        "genesis": Literal(GENESIS),
        "shapes": SQL("{0}::jsonb").format(Literal(orjson.dumps(event_shapes()).decode())),
    }
    trigger = Identifier(f"{events_table}_checked")
    return [
        # Each event's id (NFC) and instant: the head's recorded_at without parsing its body.
        SQL("CREATE TABLE IF NOT EXISTS {s}.{event_ids}"
            " (id text PRIMARY KEY, seq bigint NOT NULL UNIQUE, recorded_at timestamptz)").format(**names),
        SQL("ALTER TABLE {s}.{event_ids} ADD COLUMN IF NOT EXISTS recorded_at timestamptz").format(**names),
        SQL("CREATE TABLE IF NOT EXISTS {s}.{writing}"
            " (txid bigint PRIMARY KEY, began timestamptz NOT NULL, creating boolean NOT NULL)"
            ).format(**names),
        SQL("REVOKE ALL ON {s}.{writing} FROM PUBLIC").format(**names),
        # Whatever the database's default privileges: PUBLIC holds nothing on the ledger's tables.
        SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM PUBLIC").format(**names),
        SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM PUBLIC").format(**names),
        *(SQL(text).format(**names) for text in (_HEAD, _BEGIN, _CHECK, _APPEND)),
        SQL("DROP TRIGGER IF EXISTS {0} ON {s}.{events}").format(trigger, **names),
        SQL("CREATE TRIGGER {0} BEFORE INSERT ON {s}.{events} FOR EACH ROW EXECUTE FUNCTION"
            " {s}.perfledger_check_event()").format(trigger, **names),
        # Functions are executable by PUBLIC by default: only the roles granted may append.
        *(SQL("REVOKE ALL ON FUNCTION {s}.{0} FROM PUBLIC").format(SQL(f), **names)
          for f in ("perfledger_head()", "perfledger_begin()", "perfledger_check_event()",
                    "perfledger_append(bigint[], text[], bytea[])")),
    ]


def fill_event_ids(schema: str, events_table: str) -> Composed:
    """The ids of the events a ledger of schema version 1 already holds (for ``db upgrade``)."""
    return SQL(
        "INSERT INTO {0}.{1} SELECT normalize(coalesce(body->>'id', ''), NFC), seq,"
        " (body->>'recorded_at')::timestamptz"
        " FROM (SELECT convert_from(state, 'UTF8')::jsonb AS body, originator_version AS seq FROM {0}.{2}) e"
        " ON CONFLICT DO NOTHING"
    ).format(Identifier(schema), Identifier(EVENT_IDS), Identifier(events_table))
