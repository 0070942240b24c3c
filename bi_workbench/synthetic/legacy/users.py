"""Legacy ``tier2_users``: people, with duplicate emails in other letter case or padded with spaces."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import catalogue as cat
from .. import encode
from ..primitives import (
    DAY, HISTORY_START_TS, HOUR, REFERENCE_TS, ascii_slug, between, chosen, growth_times, numbered, pick, tokens, uuids,
    with_blanks,
)


@dataclass(frozen=True)
class LegacyUsers:
    """The generated users: what later tables need, and the batch to COPY."""

    u_id: np.ndarray
    created: np.ndarray
    industry: np.ndarray
    batch: dict


#: Share of rows that repeat an earlier user's email in another case or with spaces.
DUPLICATE_EMAIL_SHARE = 0.04
#: Share of original emails typed with capitals ("Ava.Chen@Acme.com").
CAPITALISED_EMAIL_SHARE = 0.06
#: Shares of NULL and of '' in first_name and in last_name (each).
NULL_NAME_SHARE = 0.025
EMPTY_NAME_SHARE = 0.025
#: Signups grow by about e**SIGNUP_GROWTH over the history.
SIGNUP_GROWTH = 1.3


def generate_users(rng: np.random.Generator, n: int) -> LegacyUsers:
    """Return ``n`` legacy users, DUPLICATE_EMAIL_SHARE of them re-registrations of another's email."""
    n_dup = int(round(n * DUPLICATE_EMAIL_SHARE))
    n_base = n - n_dup
    first = rng.integers(len(cat.FIRST_NAMES), size=n_base)
    last = rng.integers(len(cat.LAST_NAMES), size=n_base)
    company = _companies(rng, n_base)
    created = growth_times(rng, n_base, HISTORY_START_TS, REFERENCE_TS - DAY, SIGNUP_GROWTH)
    emails = _emails(rng, first, last, company)
    source = rng.choice(n_base, size=n_dup, replace=False)
    emails = np.concatenate([emails, _email_variants(rng, emails[source])])
    first, last, company = (np.concatenate([a, a[source]]) for a in (first, last, company))
    created = np.concatenate([created, between(rng, created[source], REFERENCE_TS - HOUR)])
    return _assemble(rng, emails, first, last, company, created)


def _assemble(rng, emails, first, last, company, created) -> LegacyUsers:
    """Return the LegacyUsers with every remaining column drawn."""
    n = len(emails)
    u_id = uuids(rng, n)
    industry = with_blanks(rng, pick(rng, cat.INDUSTRIES, n, cat.INDUSTRY_WEIGHTS), 0.08)
    names_first = np.array(cat.FIRST_NAMES, dtype=object)[first]
    names_last = np.array(cat.LAST_NAMES, dtype=object)[last]
    batch = {
        "u_id": u_id,
        "email": emails,
        "first_name": with_blanks(rng, names_first, NULL_NAME_SHARE, EMPTY_NAME_SHARE, minimum=2),
        "last_name": with_blanks(rng, names_last, NULL_NAME_SHARE, EMPTY_NAME_SHARE, minimum=2),
        "phone": with_blanks(rng, _phones(rng, n), 0.3),
        "title": with_blanks(rng, pick(rng, cat.TITLES, n), 0.15),
        "company": with_blanks(rng, company, 0.05),
        "company_size": with_blanks(rng, pick(rng, cat.COMPANY_SIZES, n, (5, 6, 4, 2, 1, 1)), 0.1),
        "revenue_range": with_blanks(rng, pick(rng, cat.REVENUE_RANGES, n, (6, 4, 2, 1, 0.5)), 0.2),
        "industry": industry,
        "timezone": with_blanks(rng, pick(rng, cat.TIMEZONES, n), 0.1),
        "linkedin_url": _linkedin(rng, first, last),
        "profile_pic_url": _avatars(rng, u_id),
        "agreed_terms": encode.booleans(rng.random(n) < 0.96, null=rng.random(n) < 0.03),
        "agreed_marketing": encode.booleans(rng.random(n) < 0.5, null=rng.random(n) < 0.1),
        "role": with_blanks(rng, pick(rng, cat.LEGACY_ROLES, n, (88, 3, 5, 2)), 0.02),
        "created_at": encode.timestamps(created, tz=False),
    }
    return LegacyUsers(u_id=u_id, created=created, industry=industry, batch=batch)


def _companies(rng, n: int) -> np.ndarray:
    """Return ``n`` company names such as 'Harbor Analytics'."""
    words = pick(rng, cat.COMPANY_WORDS, n)
    suffixes = pick(rng, cat.COMPANY_SUFFIXES, n)
    return words + " " + suffixes


def _emails(rng, first: np.ndarray, last: np.ndarray, company: np.ndarray) -> np.ndarray:
    """Return one distinct email per person, some typed with capitals."""
    firsts = np.array([ascii_slug(x) for x in cat.FIRST_NAMES], dtype=object)[first]
    lasts = np.array([ascii_slug(x) for x in cat.LAST_NAMES], dtype=object)[last]
    work = np.array([ascii_slug(c) + ".com" for c in company], dtype=object)
    domain = np.where(rng.random(len(first)) < 0.6, work, pick(rng, cat.FREE_MAIL_DOMAINS, len(first)))
    local = firsts + "." + lasts
    emails = numbered(local + "@" + domain, lambda address, k: address.replace("@", f"{k}@", 1))
    capital = chosen(rng, len(emails), CAPITALISED_EMAIL_SHARE)
    emails[capital] = [_title_email(e) for e in emails[capital]]
    return emails


def _title_email(email: str) -> str:
    """Return ``email`` with each dot- or @-separated part capitalised."""
    local, domain = email.split("@", 1)
    return ".".join(p.capitalize() for p in local.split(".")) + "@" + domain.capitalize()


def _email_variants(rng, emails: np.ndarray) -> np.ndarray:
    """Return each email re-typed: other letter case and/or leading/trailing spaces, never identical."""
    kinds = rng.integers(0, 5, size=len(emails))
    out = np.empty(len(emails), dtype=object)
    for i, (email, kind) in enumerate(zip(emails.tolist(), kinds.tolist())):
        variant = (email.upper(), _title_email(email), " " + email, email + "  ", " " + _title_email(email) + " ")[kind]
        out[i] = variant if variant != email else email + " "
    return out


def _phones(rng, n: int) -> np.ndarray:
    """Return phone numbers in the mix of formats people type."""
    a, b, c = rng.integers(200, 999, n), rng.integers(200, 999, n), rng.integers(0, 9999, n)
    kind = rng.integers(0, 3, n)
    formats = ("+1 {}-{}-{:04d}", "({}) {}-{:04d}", "+44 {} {} {:04d}")
    return np.array([formats[k].format(x, y, z) for k, x, y, z in zip(kind, a, b, c)], dtype=object)


def _linkedin(rng, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Return LinkedIn profile URLs for about 45% of people, None for the rest."""
    suffix = tokens(rng, len(first), 4, b"0123456789abcdef")
    firsts = np.array([ascii_slug(x, "-") for x in cat.FIRST_NAMES], dtype=object)[first]
    lasts = np.array([ascii_slug(x, "-") for x in cat.LAST_NAMES], dtype=object)[last]
    urls = "https://www.linkedin.com/in/" + firsts + "-" + lasts + "-" + suffix
    urls[rng.random(len(first)) >= 0.45] = None
    return urls


def _avatars(rng, u_id: np.ndarray) -> np.ndarray:
    """Return avatar URLs for about a quarter of people, None for the rest."""
    urls = "https://cdn.bi-platform.example/avatars/" + u_id + ".png"
    urls[rng.random(len(u_id)) >= 0.25] = None
    return urls
