"""Two organizations, A and B, with rows of every kind in every tenant table, each labelled with who may see it.

The labels are written here from the rule in words (DESIGN.md, "One definition
of every number"), not computed from the policies under test:

- ``A`` / ``B``: the organization's own rows, and rows without an organization
  whose user is a counted member of it (migrated rows);
- ``AB``: rows of a user who is a member of both;
- ``none``: rows of an invited (not yet counted) member, or of nobody's member;
- ``*``: global reference data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB

from bi_workbench.metrics.entities import ENTITIES
from bi_workbench.schema.tables import TENANT_COLUMN, metadata

VISIBLE_TO_A = {"A", "AB", "*"}


@dataclass
class World:
    a: uuid.UUID
    b: uuid.UUID
    users: dict[str, uuid.UUID]
    #: {table: {row id: label}}
    labels: dict[str, dict[object, str]] = field(default_factory=dict)

    def ids(self, table: str, *labels: str) -> set:
        """Ids of ``table``'s rows carrying one of ``labels``."""
        return {row for row, label in self.labels.get(table, {}).items() if label in labels}

    def hidden_from_a(self, table: str) -> set:
        return {row for row, label in self.labels.get(table, {}).items() if label not in VISIBLE_TO_A}

    def visible_to_a(self, table: str) -> set:
        return {row for row, label in self.labels.get(table, {}).items() if label in VISIBLE_TO_A}


def value_for(column: sa.Column, organization, user):
    """A value for ``column`` in a row of ``organization`` (may be None) and ``user``, or ``...`` for its default."""
    if column.name == TENANT_COLUMN:
        return organization
    for fk in column.foreign_keys:
        target = fk.column.table.name
        if target == "users":
            return user
        if target == "organizations":
            return organization
    if column.nullable or column.server_default is not None or column.identity is not None:
        return ...
    kind = column.type
    if isinstance(kind, JSONB):
        return {"seeded": True}
    if isinstance(kind, ARRAY):
        return ["x"]
    if isinstance(kind, INET):
        return "192.0.2.1"
    if isinstance(kind, sa.DateTime):
        return datetime.now(timezone.utc) + timedelta(days=7)
    if isinstance(kind, sa.Uuid):
        return uuid.uuid4()
    if isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, sa.Numeric):
        return 0
    if isinstance(kind, sa.Text):
        return f"{column.name}-{uuid.uuid4().hex[:8]}"
    raise AssertionError(f"no test value for {column.table.name}.{column.name} ({kind})")


def row_values(table: sa.Table, organization, user) -> dict:
    values = {c.name: value_for(c, organization, user) for c in table.columns}
    return {name: value for name, value in values.items() if value is not ...}


def key_of(table: sa.Table) -> sa.Column:
    """The column a row is labelled by: ``id``, else the first column of the primary key (a read model's)."""
    return table.c.id if "id" in table.c else next(iter(table.primary_key.columns))


def _insert(conn, table_name: str, values: dict):
    table = metadata.tables[table_name]
    key = key_of(table)
    return conn.execute(table.insert().values(**values).returning(key)).scalar_one()


def build_world(conn) -> World:
    """Fill an empty schema (as the owner, in ``conn``'s transaction) and return the labelled rows."""
    users = {key: _insert(conn, "users", {"email": f"{key}-{uuid.uuid4().hex[:6]}@example.com",
                                          "first_name": key, "last_name": "T"})
             for key in ("a", "b", "both", "invited", "outsider")}
    a = _insert(conn, "organizations", {"name": "Org A", "slug": f"a-{uuid.uuid4().hex[:6]}", "owner_id": users["a"]})
    b = _insert(conn, "organizations", {"name": "Org B", "slug": f"b-{uuid.uuid4().hex[:6]}", "owner_id": users["b"]})
    world = World(a, b, users)
    world.labels["organizations"] = {a: "A", b: "B"}
    world.labels["users"] = {users["a"]: "A", users["b"]: "B", users["both"]: "AB", users["invited"]: "none",
                             users["outsider"]: "none"}
    members = world.labels["organization_members"] = {}
    for org, side, user, status in ((a, "A", "a", "active"), (a, "A", "both", "active"), (a, "A", "invited", "invited"),
                                    (b, "B", "b", "active"), (b, "B", "both", "inactive")):
        members[_insert(conn, "organization_members", {"organization_id": org, "user_id": users[user],
                                                       "role": "analyst", "status": status})] = side
    # Each entity's rows: (organization, user, label) by ownership.
    kinds = {
        "row": [(a, "a", "A"), (b, "b", "B")],
        "row_or_members": [(a, "a", "A"), (b, "b", "B"), (None, "a", "A"), (None, "b", "B"),
                           (None, "both", "AB"), (None, "invited", "none"), (None, "outsider", "none"),
                           (b, "both", "B")],
        "members": [(None, "a", "A"), (None, "b", "B"), (None, "both", "AB"), (None, "invited", "none")],
        "global": [(None, "outsider", "*")],
    }
    for entity in ENTITIES.values():
        name = entity.table.name
        if name in world.labels or entity.ownership == "self":
            continue
        labels = world.labels[name] = {}
        for org, user, label in kinds[entity.ownership]:
            labels[_insert(conn, name, row_values(entity.table, org, users[user]))] = label
    world.labels["assessment_scores"] = {
        _insert(conn, "assessment_scores", {"assessment_id": assessment, "overall_score": 3}): label
        for assessment, label in world.labels["assessments"].items()
    }
    world.labels["rubric_scores"] = {
        _insert(conn, "rubric_scores", {"assessment_id": assessment, "rubric_digest": "r", "responses_digest": "d"}):
            label for assessment, label in world.labels["assessments"].items()
    }
    # A session's source (the read model the triggers keep) is its session's: an event of nobody's
    # names each session, and the insert's trigger writes the session's row.
    for session, label in world.labels["user_sessions"].items():
        event = row_values(metadata.tables["analytics_events"], None, users["outsider"]) | {"session_id": session}
        world.labels["analytics_events"][_insert(conn, "analytics_events", event)] = "none"
    world.labels["session_sources"] = dict(world.labels["user_sessions"])
    # A rollup row has its events' owner columns, and their label (the triggers wrote one per owner pair).
    events, days = metadata.tables["analytics_events"], metadata.tables["analytics_event_days"]
    owners = {(user, org): world.labels["analytics_events"][event] for event, user, org in conn.execute(
        sa.select(events.c.id, events.c.user_id, events.c.organization_id))}
    world.labels["analytics_event_days"] = {row: owners[(user, org)] for row, user, org in conn.execute(
        sa.select(days.c.id, days.c.user_id, days.c.organization_id))}
    return world
