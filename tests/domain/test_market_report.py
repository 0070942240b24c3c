"""Market intelligence report functions: hand-made data with numbers worked out by hand, the demo data
(the same figures as `bi_workbench.domain.analytics`), the confidence threshold, empty results.

The hand-made data (times UTC)::

    market insights  m1 'SaaS', org A, confidence 0.9, sentiment 0.5 'positive', TAM 1e9 SAM 3e8 SOM 3e7,
                        CAGR 0.1, 2025-01-10
                     m2 ' SaaS ', no org, confidence 0.5, sentiment -0.5 (no label), TAM 3e9, CAGR 0.2, 2025-02-10
                     m3 'Retail', user u2, no org, no confidence, sentiment {}, market size "big",
                        growth 0.05 (bare), 2025-03-10
    business trends t1 SaaS 2025-01-15, t2 blank industry 2025-03-01, t3 Retail 2025-03-20
    news             n1 0.9 published 2025-01-05 [SaaS], n2 0.5 2025-02-01 [Retail], n3 unscored 2025-03-01,
                     n4 0.9 2025-03-02 [saas]
    engagement       e1 0.15 crm, user u1 (SaaS), org A, "Do X", 2025-01-20;
                     e2 0.45 crm, user u2 (Retail), "Do X", 2025-02-20;
                     e3 no score, no source, "Do Y", 2025-03-20; e4 1.0 webinar, org A, " Do X ", 2025-03-25
    organizations    A: u2 is a member (so m3 and e2, which carry no organization, are A's); B: nothing
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timezone

import pandas as pd
import pytest

from bi_workbench.domain import analytics
from bi_workbench.domain import market_report as mr
from bi_workbench.errors import InvalidParameterError
from bi_workbench.schema import tables as t

U1, U2 = uuid.UUID(int=1), uuid.UUID(int=2)
ORG_A, ORG_B = uuid.UUID(int=101), uuid.UUID(int=102)
N1, N2, N3, N4 = (uuid.UUID(int=i) for i in (31, 32, 33, 34))
NOTHING = {"since": "2000-01-01", "until": "2000-01-31"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def insert_hand_data(conn) -> None:
    conn.execute(t.users.insert(), [
        {"id": U1, "email": "u1@example.com", "first_name": "U", "last_name": "1", "industry": "SaaS"},
        {"id": U2, "email": "u2@example.com", "first_name": "U", "last_name": "2", "industry": "Retail"},
    ])
    conn.execute(t.organizations.insert(), [{"id": ORG_A, "name": "A", "slug": "a"}, {"id": ORG_B, "name": "B", "slug": "b"}])
    conn.execute(t.organization_members.insert(), [{"organization_id": ORG_A, "user_id": U2, "role": "member"}])
    conn.execute(t.market_insights.insert(), [
        {"user_id": user, "organization_id": org, "industry": industry, "confidence_score": confidence,
         "sentiment": sentiment, "market_size": size, "growth_rate": growth, "created_at": at(created)}
        for user, org, industry, confidence, sentiment, size, growth, created in [
            (U1, ORG_A, "SaaS", 0.9, {"score": 0.5, "label": "positive"},
             {"tam_usd": 1e9, "sam_usd": 3e8, "som_usd": 3e7}, {"cagr": 0.1}, "2025-01-10 00:00"),
            (None, None, " SaaS ", 0.5, {"score": -0.5}, {"tam_usd": 3e9}, {"cagr": 0.2}, "2025-02-10 00:00"),
            (U2, None, "Retail", None, {}, "big", 0.05, "2025-03-10 00:00")]
    ])
    conn.execute(t.business_trends.insert(), [
        {"title": title, "insight": "...", "industry": industry, "source": source, "created_at": at(created)}
        for title, industry, source, created in [("SaaS one", "SaaS", "newsapi", "2025-01-15 00:00"),
                                                 ("Blank", " ", None, "2025-03-01 00:00"),
                                                 ("Retail one", "Retail", "manual", "2025-03-20 00:00")]
    ])
    conn.execute(t.news_feed.insert(), [
        {"id": n, "title": title, "source": "Wire", "category": "market", "relevance_score": relevance,
         "published_at": at(published), "created_at": at(published), "metadata": {"tags": tags}}
        for n, title, relevance, published, tags in [
            (N1, "First", 0.9, "2025-01-05 00:00", ["SaaS"]), (N2, "Second", 0.5, "2025-02-01 00:00", ["Retail"]),
            (N3, "Unscored", None, "2025-03-01 00:00", []), (N4, "Fourth", 0.9, "2025-03-02 00:00", ["saas"])]
    ])
    conn.execute(t.engagement_intelligence.insert(), [
        {"user_id": user, "organization_id": org, "signal_score": score, "source": source, "insights": text,
         "recommendations": recommendations, "created_at": at(created)}
        for user, org, score, source, text, recommendations, created in [
            (U1, ORG_A, 0.15, "crm", "Do X", ["a"], "2025-01-20 00:00"),
            (U2, None, 0.45, "crm", "Do X", ["b", "c"], "2025-02-20 00:00"),
            (None, None, None, None, "Do Y", [], "2025-03-20 00:00"),
            (None, ORG_A, 1.0, "webinar", " Do X ", None, "2025-03-25 00:00")]
    ])


def as_dict(frame: pd.DataFrame) -> dict:
    return dict(zip(frame["measure"], frame["value"]))


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(None if isinstance(v, float) and math.isnan(v) else v for v in row)
            for row in frame.itertuples(index=False, name=None)]


def sel(conn, **params):
    """The report's selection of ``params`` (organization_id, industry, since, until, as_of)."""
    return mr.selection(conn, params)


def test_overview(hand):
    assert as_dict(mr.overview(hand, sel(hand))) == {
        "market insights": 3, "insights below min_confidence (left out)": 0, "industries": 2, "mean confidence": 0.7,
        "latest insight": "2025-03-10", "business trends": 3, "engagement signals": 4,
        "engagement signals with a score": 3,
    }  # 'SaaS' and ' SaaS ' are one industry
    confident = as_dict(mr.overview(hand, sel(hand), 0.6))
    # m2 is below 0.6 and m3 has no confidence: both left out
    assert (confident["market insights"], confident["insights below min_confidence (left out)"]) == (1, 2)
    saas = as_dict(mr.overview(hand, sel(hand, industry="saas")))
    assert (saas["market insights"], saas["business trends"], saas["engagement signals"]) == (2, 1, 1)


def test_an_organization_owns_its_members_rows_that_carry_no_organization(hand):
    """Issue 10, example 2: migrated insights and signals (no organization_id) are their user's organizations'."""
    org = as_dict(mr.overview(hand, sel(hand, organization_id=ORG_A)))
    # m1 (A's own) and m3 (u2's, a member of A); trends are everyone's; e1, e4 (A's own) and e2 (u2's)
    assert (org["market insights"], org["business trends"], org["engagement signals"]) == (2, 3, 3)
    assert [r[:2] for r in rows(mr.insights_per_industry(hand, sel(hand, organization_id=ORG_A)))] == \
        [("Retail", 1), ("SaaS", 1)]


def test_insights_per_industry(hand):
    assert rows(mr.insights_per_industry(hand, sel(hand))) == [
        ("SaaS", 2, 0.6667, 2, 0.7, "2025-01-10", "2025-02-10"),
        ("Retail", 1, 0.3333, 0, None, "2025-03-10", "2025-03-10")]
    assert rows(mr.insights_per_industry(hand, sel(hand), 0.5)) == [("SaaS", 2, 1.0, 2, 0.7, "2025-01-10",
                                                                        "2025-02-10")]


def test_sentiment_by_industry_reads_scores_and_labels(hand):
    # m1 is labelled positive; m2 has no label and -0.5 makes it negative; m3 has no score
    assert rows(mr.sentiment_by_industry(hand, sel(hand))) == [("SaaS", 2, 2, 0.0, 0.0, 1, 0, 1),
                                                    ("Retail", 1, 0, None, None, 0, 0, 0)]
    assert rows(mr.sentiment_by_industry(hand, sel(hand), 0.9)) == [("SaaS", 1, 1, 0.5, 0.5, 1, 0, 0)]


def test_market_by_industry_and_its_table(hand):
    market = mr.market_by_industry(hand, sel(hand))
    assert rows(market) == [("SaaS", 2, 2, 2e9, 2e9, 3e8, 3e7, 2, 0.15, 0.15),
                            ("Retail", 1, 0, None, None, None, None, 1, 0.05, 0.05)]
    assert rows(mr.market_table(market)) == [("SaaS", 2, 2.0, 0.3, 0.03, 15.0, 15.0),
                                             ("Retail", 1, None, None, None, 5.0, 5.0)]


def test_trends(hand):
    assert rows(mr.latest_trends(hand, sel(hand))) == [("2025-03-20", "Retail", "Retail one", "manual"),
                                            ("2025-03-01", "unknown", "Blank", "unknown"),
                                            ("2025-01-15", "SaaS", "SaaS one", "newsapi")]
    assert len(mr.latest_trends(hand, sel(hand), limit=1)) == 1
    assert rows(mr.latest_trends(hand, sel(hand, industry="saas", organization_id=ORG_A))) == [
        ("2025-01-15", "SaaS", "SaaS one", "newsapi")]  # trends belong to no organization
    monthly = mr.trends_per_month(hand, sel(hand))
    assert rows(monthly) == [(pd.Timestamp("2025-01-01"), True, "SaaS", 1),
                             (pd.Timestamp("2025-03-01"), True, "Retail", 1),
                             (pd.Timestamp("2025-03-01"), True, "unknown", 1)]
    assert list(mr.trends_per_month(hand, sel(hand, as_of="2025-03-15"))["complete"]) == [True, False]


def test_top_news_keeps_the_ranking(hand):
    news = mr.top_news(hand, sel(hand))
    assert list(news.columns) == ["rank", "title", "source", "category", "relevance_score", "published"]
    # n1 and n4 tie on relevance: the more recent first; unscored items last
    assert rows(news[["rank", "title", "relevance_score", "published"]]) == [
        (1, "Fourth", 0.9, "2025-03-02"), (2, "First", 0.9, "2025-01-05"), (3, "Second", 0.5, "2025-02-01"),
        (4, "Unscored", None, "2025-03-01")]
    assert list(mr.top_news(hand, sel(hand, industry="SaaS"))["title"]) == ["Fourth", "First"]
    assert list(mr.top_news(hand, sel(hand, since="2025-02-01", until="2025-02-28"), limit=1)["title"]) == \
        ["Second"]


def test_engagement_signals(hand):
    assert rows(mr.engagement_by_source(hand, sel(hand))) == [
        ("crm", 2, 2, 0.3, 0.3, 0.15, 0.45, 2), ("unknown", 1, 0, None, None, None, None, 0),
        ("webinar", 1, 1, 1.0, 1.0, 1.0, 1.0, 0)]
    assert rows(mr.engagement_by_source(hand, sel(hand, industry="SaaS"))) == [("crm", 1, 1, 0.15, 0.15, 0.15, 0.15, 1)]
    assert [r[0] for r in rows(mr.engagement_by_source(hand, sel(hand, organization_id=ORG_A)))] == ["crm", "webinar"]
    histogram = mr.signal_distribution(hand, sel(hand))
    assert len(histogram) == 10 and histogram["bin_end"].iloc[-1] == 1.0
    assert histogram[histogram["signals"] > 0][["bin_start", "signals"]].to_numpy().tolist() == \
        [[0.1, 1], [0.4, 1], [0.9, 1]]  # 1.0 falls in the last bin
    assert rows(mr.top_engagement_insights(hand, sel(hand))) == [("Do X", 3, 2, 0.5333, "2025-03-25"),
                                                      ("Do Y", 1, 1, None, "2025-03-20")]
    assert len(mr.top_engagement_insights(hand, sel(hand), limit=1)) == 1


def test_every_function_handles_an_empty_selection(hand):
    for params in (NOTHING, {"organization_id": ORG_B}):
        bounds = sel(hand, **params)
        assert mr.insights_per_industry(hand, bounds).empty
        assert mr.sentiment_by_industry(hand, bounds).empty
        market = mr.market_by_industry(hand, bounds)
        assert market.empty and mr.market_table(market).empty
        assert mr.engagement_by_source(hand, bounds).empty
        assert mr.signal_distribution(hand, bounds).empty
        assert mr.top_engagement_insights(hand, bounds).empty
        assert as_dict(mr.overview(hand, bounds))["mean confidence"] is None
    nothing = sel(hand, **NOTHING)
    assert mr.latest_trends(hand, nothing).empty and mr.top_news(hand, nothing).empty
    assert mr.trends_per_month(hand, nothing).empty
    assert mr.insights_per_industry(hand, sel(hand), 1.0).empty
    assert list(mr.top_news(hand, nothing).columns) == list(mr.NEWS_TABLE_COLUMNS)


def test_bad_parameters_are_refused(hand):
    for bad in (-0.1, 1.5, "high", True):
        with pytest.raises(InvalidParameterError, match="min_confidence"):
            mr.sentiment_by_industry(hand, sel(hand), bad)
    with pytest.raises(InvalidParameterError, match="bin_width"):
        mr.signal_distribution(hand, sel(hand), bin_width=2)
    with pytest.raises(InvalidParameterError, match="limit"):
        mr.latest_trends(hand, sel(hand), limit=0)
    with pytest.raises(InvalidParameterError, match="known industries: Retail, SaaS"):
        sel(hand, industry="mining")


def test_on_the_demo_data_the_figures_are_those_of_the_analytics_functions(demo):
    sentiment = analytics.sentiment_by_industry(demo)
    expected = sentiment.assign(mean_sentiment=sentiment["mean_sentiment"].round(4),
                                median_sentiment=sentiment["median_sentiment"].round(4))
    pd.testing.assert_frame_equal(mr.sentiment_by_industry(demo, sel(demo)), expected)
    market = analytics.market_by_industry(demo)
    expected = market.assign(**{c: market[c].round(0) for c in ("tam_usd_mean", "tam_usd_median", "sam_usd_median",
                                                                 "som_usd_median")},
                             cagr_mean=market["cagr_mean"].round(4), cagr_median=market["cagr_median"].round(4))
    pd.testing.assert_frame_equal(mr.market_by_industry(demo, sel(demo)), expected)
    news = analytics.top_news(demo, 10)
    assert list(mr.top_news(demo, sel(demo))["title"]) == list(news["title"])


def test_on_the_demo_data_the_confidence_threshold_only_removes(demo):
    bounds = sel(demo)
    everything, confident = mr.insights_per_industry(demo, bounds), mr.insights_per_industry(demo, bounds, 0.7)
    overview = as_dict(mr.overview(demo, bounds, 0.7))
    assert confident["insights"].sum() == overview["market insights"] < everything["insights"].sum()
    assert overview["market insights"] + overview["insights below min_confidence (left out)"] == \
        everything["insights"].sum()
    assert (confident.set_index("industry")["insights"]
            <= everything.set_index("industry")["insights"].reindex(confident["industry"])).all()
