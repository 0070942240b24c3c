"""The legacy contract tables are created exactly as DESIGN.md declares them."""

from __future__ import annotations

import sqlalchemy as sa

from bi_workbench.legacy.contract import CHOICE_ANSWERS, LEGACY_TABLES, create_legacy_tables

UUID, TEXT, BOOL, TS, JSONB, NUM, INT, TEXTS = (
    "uuid", "text", "boolean", "timestamp without time zone", "jsonb", "numeric", "integer", "text[]")

#: DESIGN.md, "The legacy contract", transcribed column by column.
CONTRACT = {
    "tier2_users": {
        "u_id": UUID, "email": TEXT, "first_name": TEXT, "last_name": TEXT, "phone": TEXT, "title": TEXT,
        "company": TEXT, "company_size": TEXT, "revenue_range": TEXT, "industry": TEXT, "timezone": TEXT,
        "linkedin_url": TEXT, "profile_pic_url": TEXT, "agreed_terms": BOOL, "agreed_marketing": BOOL,
        "role": TEXT, "created_at": TS,
    },
    "onboarding_assessments": {
        "o_id": UUID, "u_id": UUID,
        **{name: TEXT for name in (
            "growth_metrics", "gtm_strategy", "differentiator", "brand_perception", "tech_stack",
            "process_discipline", "acquisition_channels", "retention_strategy", "decision_bottlenecks",
            "future_success", "benchmark_preferences", "unresolved_issue", "business_priorities",
            "business_overview", "tech_maturity", "team_alignment", "funding_status", "growth_pace",
            "final_confirmation", "strategy_decision_method")},
        "friction_points": JSONB, "created_at": TS,
    },
    "assessment_scoring_results": {
        "id": INT, "user_id": UUID, "score": NUM, "bracket": TEXT, "category_scores": JSONB,
        "recommendations": TEXTS, "next_steps": TEXTS, "ai_insights": TEXT, "confidence": NUM, "created_at": TS,
    },
    "enhanced_market_insights": {
        "id": INT, "u_id": UUID, "industry": TEXT, "market_size": JSONB, "growth_rate": JSONB,
        "competition": JSONB, "sentiment": JSONB, "full_insight": TEXT, "data_sources": JSONB,
        "confidence_score": NUM, "ai_model_version": TEXT, "created_at": TS,
    },
    "realtime_business_trends": {
        "id": INT, "title": TEXT, "insight": TEXT, "industry": TEXT, "source": TEXT, "createdat": TS,
    },
    "realtime_marketing_playbook": {"id": INT, "insight": TEXT, "source": TEXT, "createdat": TS},
}
PRIMARY_KEYS = {
    "tier2_users": "u_id", "onboarding_assessments": "o_id", "assessment_scoring_results": "id",
    "enhanced_market_insights": "id", "realtime_business_trends": "id", "realtime_marketing_playbook": "id",
}
COLUMNS = sa.text("""
    SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
           pg_get_expr(d.adbin, d.adrelid) AS default_value
    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = to_regclass(:table) AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum
""")
CONSTRAINTS = sa.text("""
    SELECT contype, pg_get_constraintdef(oid) AS definition FROM pg_constraint
    WHERE conrelid = to_regclass(:table) AND contype <> 'n'  -- PostgreSQL 18 lists NOT NULL too
""")


def test_creates_the_six_tables_once(empty_database):
    with empty_database.begin() as conn:
        assert create_legacy_tables(conn) == list(CONTRACT)
        assert create_legacy_tables(conn) == []
    assert set(sa.inspect(empty_database).get_table_names()) == set(CONTRACT)


def test_creates_only_the_missing_tables(empty_database):
    with empty_database.begin() as conn:
        LEGACY_TABLES[0].create(conn)
        assert create_legacy_tables(conn) == list(CONTRACT)[1:]


def test_columns_types_and_order_match_the_contract(empty_database):
    with empty_database.begin() as conn:
        create_legacy_tables(conn)
        for table, expected in CONTRACT.items():
            rows = conn.execute(COLUMNS, {"table": table}).all()
            assert {r.name: r.type for r in rows} == expected, table
            assert [r.name for r in rows] == list(expected), table
            not_null = {r.name for r in rows if r.not_null}
            assert not_null == {PRIMARY_KEYS[table]} | ({"email"} if table == "tier2_users" else set()), table


def test_serial_ids_and_no_constraint_but_the_primary_key(empty_database):
    with empty_database.begin() as conn:
        create_legacy_tables(conn)
        for table, key in PRIMARY_KEYS.items():
            constraints = conn.execute(CONSTRAINTS, {"table": table}).all()
            assert [(c.contype, c.definition) for c in constraints] == [("p", f"PRIMARY KEY ({key})")], table
            defaults = {r.name: r.default_value for r in conn.execute(COLUMNS, {"table": table})}
            if key == "id":
                assert defaults["id"] == f"nextval('{table}_id_seq'::regclass)"
            assert all(v is None for k, v in defaults.items() if k != "id"), table


#: DESIGN.md, "Choice answers in onboarding_assessments", as written there.
DESIGNED_CHOICES = """
- growth_pace: declining, flat, steady, fast, hypergrowth
- tech_maturity: manual, basic, integrated, automated, ai_driven
- team_alignment: misaligned, partial, aligned, highly_aligned
- process_discipline: ad_hoc, documented, measured, optimized
- strategy_decision_method: gut_feel, founder_led, data_informed, data_driven
- funding_status: bootstrapped, pre_seed, seed, series_a, series_b_plus, profitable
- final_confirmation: yes, no
"""


def test_choice_answers_are_the_designed_ones():
    designed = dict(line.removeprefix("- ").split(": ") for line in DESIGNED_CHOICES.strip().splitlines())
    assert CHOICE_ANSWERS == {column: tuple(answers.split(", ")) for column, answers in designed.items()}
    assert set(CHOICE_ANSWERS) <= set(CONTRACT["onboarding_assessments"])


def test_legacy_tables_live_on_their_own_metadata():
    from bi_workbench.legacy.contract import legacy_metadata
    from bi_workbench.schema.tables import metadata

    assert all(table.metadata is legacy_metadata for table in LEGACY_TABLES)
    assert not set(legacy_metadata.tables) & set(metadata.tables)
