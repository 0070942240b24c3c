"""Dashboard widgets, notifications, team messages, email subscriptions and the news feed."""

from __future__ import annotations

import numpy as np

from .. import catalogue as cat
from .. import encode
from ..primitives import (
    DAY, HISTORY_START_TS, HOUR, MISSING, REFERENCE_TS, ascii_slug, between, growth_times, later, pick,
    seasonal_times, uuids,
)
from .accounts import Organizations, Users

#: Mean dashboard widgets per user in an organization and per user without one.
WIDGETS_PER_USER = (3.0, 1.2)
#: Mean notifications per user; mean team messages per member of an organization of 2+.
NOTIFICATIONS_PER_USER = 5.0
MESSAGES_PER_MEMBER = 3.0
#: Probability that a user subscribes to each email type (catalogue.EMAIL_TYPES order).
EMAIL_TYPE_SHARES = (0.8, 0.6, 0.35, 0.5, 0.3)


def widget_batch(rng: np.random.Generator, users: Users, orgs: Organizations) -> dict:
    """Return the dashboard_widgets batch: per user a grid of widgets, most of them active."""
    in_org = orgs.primary >= 0
    counts = rng.poisson(np.where(in_org, *WIDGETS_PER_USER))
    user = np.repeat(np.arange(len(users.id)), counts)
    n = len(user)
    slot = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)
    kind = pick(rng, cat.WIDGET_TYPES, n)
    days = pick(rng, (7, 30, 90, 365), n, (0.15, 0.45, 0.3, 0.1))
    created = later(rng, users.created[user], 20 * DAY)
    return {
        "id": uuids(rng, n), "user_id": users.id[user], "organization_id": orgs.org_ids_of(user),
        "widget_type": kind,
        "widget_config": encode.json_values({"title": k.replace("_", " ").title(), "range_days": int(d)}
                                            for k, d in zip(kind, days)),
        "position": encode.json_values({"x": int(s % 3) * 4, "y": int(s // 3) * 3, "w": 4, "h": 3} for s in slot),
        "is_active": encode.booleans(rng.random(n) < 0.85),
        "created_at": encode.timestamps(created), "updated_at": encode.timestamps(between(rng, created, REFERENCE_TS)),
    }


_NOTIFICATION_TEXT = {
    "assessment_completed": ("Assessment completed", "Your assessment has been scored.", "/assessments"),
    "lever_suggested": ("New growth levers", "We suggested growth levers for you.", "/growth-levers"),
    "simulation_completed": ("Simulation finished", "Your growth simulation has finished.", "/simulations"),
    "team_message": ("New message", "A teammate sent you a message.", "/messages"),
    "billing": ("Billing update", "Your invoice is ready.", "/settings/billing"),
    "market_insight": ("Market insight", "A new insight for your industry is available.", "/market"),
    "system": ("Scheduled maintenance", "The platform will be briefly unavailable on Sunday.", None),
}


def notification_batch(rng: np.random.Generator, users: Users, orgs: Organizations) -> dict:
    """Return the notifications batch; read ones have read_at at or after created_at."""
    user = np.repeat(np.arange(len(users.id)), rng.poisson(NOTIFICATIONS_PER_USER, len(users.id)))
    n = len(user)
    code = rng.choice(len(cat.NOTIFICATION_TYPES), size=n, p=(0.2, 0.15, 0.15, 0.15, 0.1, 0.15, 0.1))
    created = seasonal_times(rng, users.created[user] + HOUR, np.full(n, REFERENCE_TS))
    read = rng.random(n) < np.where(REFERENCE_TS - created > 7 * DAY, 0.85, 0.4)
    read_at = np.where(read, later(rng, created, DAY), MISSING)
    texts = [_NOTIFICATION_TEXT[t] for t in cat.NOTIFICATION_TYPES]
    return {
        "id": uuids(rng, n), "user_id": users.id[user], "organization_id": orgs.org_ids_of(user),
        "type": encode.categorical(code, cat.NOTIFICATION_TYPES),
        "title": encode.categorical(code, [t[0] for t in texts]),
        "message": encode.categorical(code, [t[1] for t in texts]),
        "priority": pick(rng, cat.NOTIFICATION_PRIORITIES, n, (0.3, 0.45, 0.2, 0.05)),
        "link": np.array([texts[c][2] for c in code], dtype=object),
        "is_read": encode.booleans(read),
        "metadata": encode.categorical(rng.integers(0, 2, n), ['{"channel": "in_app"}', '{"channel": "email"}']),
        "created_at": encode.timestamps(created), "read_at": encode.timestamps(read_at),
    }


def message_batch(rng: np.random.Generator, users: Users, orgs: Organizations) -> dict:
    """Return the team_messages batch: sender and recipient are members of the same organization."""
    order = np.argsort(orgs.member_org, kind="stable")
    member_org, member_user, joined = orgs.member_org[order], orgs.member_user[order], orgs.member_joined[order]
    size = np.bincount(member_org, minlength=len(orgs.id))
    start = np.cumsum(size) - size
    org = np.repeat(np.arange(len(orgs.id)), rng.poisson(MESSAGES_PER_MEMBER * size * (size >= 2)))
    n = len(org)
    sender_slot = (rng.random(n) * size[org]).astype(np.int64)
    recipient_slot = (sender_slot + 1 + (rng.random(n) * (size[org] - 1)).astype(np.int64)) % size[org]
    sender, recipient = start[org] + sender_slot, start[org] + recipient_slot
    broadcast = rng.random(n) < 0.2
    created = seasonal_times(rng, np.maximum(joined[sender], joined[recipient]), np.full(n, REFERENCE_TS))
    read = ~broadcast & (rng.random(n) < 0.7)
    return {
        "id": uuids(rng, n), "organization_id": orgs.id[org], "sender_id": users.id[member_user[sender]],
        "recipient_id": np.where(broadcast, None, users.id[member_user[recipient]]),
        "message_type": np.where(broadcast, "system", pick(rng, ("text", "mention"), n, (0.85, 0.15))).astype(object),
        "content": pick(rng, cat.TEAM_MESSAGES, n),
        "metadata": encode.categorical(broadcast.astype(np.int64), ['{"thread": "direct"}', '{"thread": "broadcast"}']),
        "is_read": encode.booleans(read), "created_at": encode.timestamps(created),
        "read_at": encode.timestamps(np.where(read, later(rng, created, 6 * HOUR), MISSING)),
    }


def email_subscription_batch(rng: np.random.Generator, users: Users) -> dict:
    """Return the email_subscriptions batch: each (user, email type) at most once."""
    chosen_types = rng.random((len(users.id), len(cat.EMAIL_TYPES))) < np.array(EMAIL_TYPE_SHARES)
    user, kind = np.nonzero(chosen_types)
    n = len(user)
    created = later(rng, users.created[user], 2 * DAY)
    frequency = rng.integers(0, 3, n)
    return {
        "id": uuids(rng, n), "user_id": users.id[user],
        "email_type": np.array(cat.EMAIL_TYPES, dtype=object)[kind],
        "is_active": encode.booleans(rng.random(n) < 0.85),
        "preferences": encode.categorical(frequency, [f'{{"frequency": "{f}", "format": "html"}}'
                                                      for f in ("daily", "weekly", "monthly")]),
        "created_at": encode.timestamps(created), "updated_at": encode.timestamps(between(rng, created, REFERENCE_TS)),
    }


def news_batch(rng: np.random.Generator, n: int) -> dict:
    """Return ``n`` news_feed items with relevance between 0 and 1."""
    industry = pick(rng, cat.INDUSTRIES, n, cat.INDUSTRY_WEIGHTS)
    title = np.array([h.format(i) for h, i in zip(pick(rng, cat.NEWS_HEADLINES, n), industry)], dtype=object)
    source = rng.integers(0, len(cat.NEWS_SOURCES), n)
    published = growth_times(rng, n, HISTORY_START_TS, REFERENCE_TS - HOUR, 0.8)
    day = encode.dates(published)
    url = [f"https://{cat.NEWS_SOURCES[s][1]}/{d[:4]}/{d[5:7]}/{ascii_slug(t, '-')}-{k}"
           for k, (s, d, t) in enumerate(zip(source, day, title))]
    category = pick(rng, cat.NEWS_CATEGORIES, n)
    return {
        "id": uuids(rng, n), "title": title, "url": np.array(url, dtype=object),
        "source": np.array([cat.NEWS_SOURCES[s][0] for s in source], dtype=object),
        "published_at": encode.timestamps(published), "category": category,
        "relevance_score": encode.numbers(np.round(rng.beta(2, 2, n), 2), 2),
        "metadata": encode.json_values({"tags": [i, c], "language": "en"} for i, c in zip(industry, category)),
        "created_at": encode.timestamps(later(rng, published, 2 * HOUR)),
    }
