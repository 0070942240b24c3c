"""The Citus plan: every table classified, and Citus' key rules checked on the model and on a live database."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

import bi_workbench.schema.bookkeeping  # noqa: F401 - declares its tables on the model's metadata
import bi_workbench.schema.report_runs  # noqa: F401
from bi_workbench.schema.distribution import (
    KNOWN_EXCEPTIONS, PLAN, Distributed, Finding, Local, Reference, citus_statements, distributed_tables, findings,
)
from bi_workbench.schema.tables import metadata


def test_every_table_of_the_model_is_classified():
    assert sorted(set(metadata.tables) - set(PLAN)) == []


def test_the_model_breaks_the_rules_exactly_where_a_known_exception_says_why():
    found = set(findings(metadata.tables.values()))
    assert sorted(found - set(KNOWN_EXCEPTIONS)) == [], "a new break of a Citus rule: fix it or list it with its reason"
    assert sorted(set(KNOWN_EXCEPTIONS) - found) == [], "an exception no longer happens: remove it from KNOWN_EXCEPTIONS"
    assert all(reason.strip() for reason in KNOWN_EXCEPTIONS.values())


def test_the_live_catalog_breaks_the_same_rules_as_the_model(demo):
    names = demo.execute(sa.text(
        "SELECT relname FROM pg_class WHERE relnamespace = CAST(current_schema() AS regnamespace) "
        "AND relkind IN ('r', 'p') AND NOT relispartition")).scalars().all()
    live = sa.MetaData()
    live.reflect(bind=demo, only=names)
    assert {t for t in names if t not in PLAN} == set()  # legacy tables and schema_version included
    assert findings(live.tables[name] for name in names) == findings(metadata.tables.values())


def test_the_event_store_keeps_its_aggregate_version_guard_on_one_shard():
    events = metadata.tables["events"]
    guard = next(c for c in events.constraints if c.name == "uq_events_aggregate_id_aggregate_type_version")
    assert distributed_tables()["events"].column in {c.name for c in guard.columns}
    assert distributed_tables()["snapshots"] == distributed_tables()["events"]


def test_each_rule_is_enforced():
    m = sa.MetaData(naming_convention={"pk": "pk_%(table_name)s", "uq": "uq_%(table_name)s_%(column_0_name)s"})
    parent = sa.Table("parent", m, sa.Column("id", UUID, primary_key=True), sa.Column("owner", UUID, nullable=False))
    child = sa.Table("child", m, sa.Column("id", UUID, primary_key=True), sa.Column("owner", UUID),
                     sa.Column("parent_id", UUID), sa.Column("code", sa.Text, unique=True),
                     sa.ForeignKeyConstraint(["parent_id"], ["parent.id"], name="fk_child_parent"))
    ref = sa.Table("ref", m, sa.Column("id", UUID, primary_key=True), sa.Column("child_id", UUID),
                   sa.ForeignKeyConstraint(["child_id"], ["child.id"], name="fk_ref_child"))
    stray = sa.Table("stray", m, sa.Column("id", UUID, primary_key=True))
    plan = {"parent": Distributed("owner", "g"), "child": Distributed("owner", "g"), "ref": Reference("small")}
    assert findings([parent, child, ref, stray], plan) == sorted([
        Finding("parent", "pk_parent", "unique key without owner"),
        Finding("child", "pk_child", "unique key without owner"),
        Finding("child", "uq_child_code", "unique key without owner"),
        Finding("child", "column owner", "distribution column may be NULL"),
        Finding("child", "fk_child_parent", "foreign key without the distribution columns (owner -> owner)"),
        Finding("ref", "fk_ref_child", "reference table refers to a distributed table"),
        Finding("stray", "table", "unclassified"),
    ])
    assert [f.rule for f in findings([child], {**plan, "parent": Distributed("owner", "other")})
            if f.what == "fk_child_parent"] == ["foreign key between colocation groups"]
    assert [f.rule for f in findings([child], {**plan, "parent": Local("x")}) if f.what == "fk_child_parent"] == [
        "distributed table refers to a local table"]


def test_the_scaling_page_shows_the_plans_own_citus_calls():
    page = (Path(__file__).parents[2] / "docs" / "scaling.md").read_text()
    shown = [line for line in page.splitlines() if line.startswith("SELECT create_")]
    assert shown == citus_statements()
    assert citus_statements()[-3:] == [
        "SELECT create_distributed_table('events', 'aggregate_id', colocate_with => 'none');",
        "SELECT create_distributed_table('snapshots', 'aggregate_id', colocate_with => 'events');",
        "SELECT create_distributed_table('audit_log', 'record_id', colocate_with => 'none');",
    ]
