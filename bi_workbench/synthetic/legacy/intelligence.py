"""Legacy ``enhanced_market_insights``, ``realtime_business_trends`` and ``realtime_marketing_playbook``."""

from __future__ import annotations

import numpy as np

from .. import catalogue as cat
from .. import encode
from ..primitives import (
    DAY, HISTORY_START_TS, REFERENCE_TS, chosen, growth_times, later, pick, subsets, uuids, with_blanks,
)
from .users import LegacyUsers

#: Mean market insights per user.
INSIGHTS_PER_USER = 0.6
#: Share of insights naming no user, of NULL industries, of NULL confidence percentages.
ORPHAN_INSIGHT_SHARE = 0.02
NULL_INDUSTRY_SHARE = 0.1
NULL_CONFIDENCE_SHARE = 0.06


def generate_market_insights(rng: np.random.Generator, users: LegacyUsers) -> dict:
    """Return the batch of market insights: per-user rows plus orphans, ids in time order."""
    owner = np.repeat(np.arange(len(users.u_id)), rng.poisson(INSIGHTS_PER_USER, len(users.u_id)))
    n_orphan = max(2, int(round(ORPHAN_INSIGHT_SHARE * len(users.u_id))))
    u_id = np.concatenate([users.u_id[owner], uuids(rng, n_orphan)])
    created = np.concatenate([later(rng, users.created[owner], 60 * DAY),
                              growth_times(rng, n_orphan, HISTORY_START_TS, REFERENCE_TS, 1.0)])
    n = len(u_id)
    industry = np.concatenate([users.industry[owner], pick(rng, cat.INDUSTRIES, n_orphan)])
    industry[chosen(rng, n, NULL_INDUSTRY_SHARE)] = None
    batch = {"u_id": u_id, "industry": industry, **_insight_documents(rng, industry),
             "confidence_score": encode.numbers(_confidence_percentages(rng, n), 1),
             "ai_model_version": with_blanks(rng, pick(rng, cat.AI_MODEL_VERSIONS, n), 0.05),
             "created_at": encode.timestamps(created, tz=False)}
    return encode.serial_ordered(batch, created)


def _confidence_percentages(rng, n: int) -> np.ndarray:
    """Return confidence as a percentage (0-100, one decimal), some NULL, both bounds present."""
    pct = np.round(rng.uniform(35, 98, n), 1)
    bounds = chosen(rng, n, 0, minimum=2)
    pct[bounds] = np.resize([100.0, 0.0], int(bounds.sum()))
    pct[chosen(rng, n, NULL_CONFIDENCE_SHARE)] = np.nan
    return pct


def _insight_documents(rng, industry: np.ndarray) -> dict:
    """Return the JSON columns and the full_insight text of each insight."""
    n = len(industry)
    tam = np.round(rng.lognormal(22, 1.2, n), -6)
    cagr = np.round(rng.normal(0.11, 0.06, n), 3)
    level = pick(rng, cat.COMPETITION_LEVELS, n)
    rivals = subsets(rng, cat.COMPANY_WORDS, rng.integers(2, 4, n))
    mood = np.round(rng.uniform(-1, 1, n), 2)
    label = np.array(cat.SENTIMENT_LABELS, dtype=object)[np.digitize(mood, [-0.2, 0.2])]
    sources = subsets(rng, cat.DATA_SOURCES, rng.integers(1, 4, n))
    name = np.where(industry == None, "this", industry)  # noqa: E711 (elementwise None test)
    return {
        "market_size": encode.json_values(
            {"tam_usd": int(t), "sam_usd": round(t * 0.3), "som_usd": round(t * 0.03), "currency": "USD"}
            for t in tam.tolist()),
        "growth_rate": encode.json_values({"cagr": g, "period": "2025-2030"} for g in cagr.tolist()),
        "competition": encode.json_values({"intensity": c, "top_competitors": r} for c, r in zip(level, rivals)),
        "sentiment": encode.json_values({"score": s, "label": lab} for s, lab in zip(mood.tolist(), label)),
        "full_insight": np.array([f"The {i} market grows about {g:.0%} a year; competition is {c}."
                                  for i, g, c in zip(name, cagr.tolist(), level)], dtype=object),
        "data_sources": encode.json_values(sources),
    }


def generate_business_trends(rng: np.random.Generator, n: int) -> dict:
    """Return ``n`` business trends (title, insight, industry, source, createdat), ids in time order."""
    industry = pick(rng, cat.INDUSTRIES, n, cat.INDUSTRY_WEIGHTS)
    phenomenon = pick(rng, cat.TREND_PHENOMENA, n)
    created = growth_times(rng, n, HISTORY_START_TS, REFERENCE_TS, 0.8)
    batch = {
        "title": industry + ": " + phenomenon,
        "insight": "Across " + industry + ", " + phenomenon + "; expect the effect within two quarters.",
        "industry": with_blanks(rng, industry, NULL_INDUSTRY_SHARE),
        "source": pick(rng, cat.TREND_SOURCES, n),
        "createdat": encode.timestamps(created, tz=False),
    }
    return encode.serial_ordered(batch, created)


def generate_marketing_playbook(rng: np.random.Generator, n: int) -> dict:
    """Return ``n`` marketing playbook entries (insight, source, createdat), ids in time order."""
    created = growth_times(rng, n, HISTORY_START_TS, REFERENCE_TS, 0.8)
    batch = {
        "insight": pick(rng, cat.PLAYBOOK_INSIGHTS, n),
        "source": with_blanks(rng, pick(rng, cat.PLAYBOOK_SOURCES, n), 0.05),
        "createdat": encode.timestamps(created, tz=False),
    }
    return encode.serial_ordered(batch, created)
