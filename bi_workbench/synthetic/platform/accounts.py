"""Organizations, their members, subscriptions and assessment invitations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import catalogue as cat
from .. import encode
from ..primitives import (
    ALNUM, DAY, HOUR, MISSING, REFERENCE_TS, URLSAFE, ascii_slug, between, chosen, later, numbered, pick,
    tokens, uuids, with_blanks,
)


@dataclass(frozen=True)
class Users:
    """The users the platform data is made for: ids (str) and signup times (epoch seconds)."""

    id: np.ndarray
    created: np.ndarray


@dataclass(frozen=True)
class Organizations:
    """Organizations and memberships (indexes into users/orgs), and each user's first organization."""

    id: np.ndarray
    owner: np.ndarray
    created: np.ndarray
    member_org: np.ndarray
    member_user: np.ndarray
    member_joined: np.ndarray
    primary: np.ndarray  # org index per user, -1 for none

    def org_ids_of(self, user: np.ndarray) -> np.ndarray:
        """Return the id of each user's first organization, None where the user has none."""
        org = self.primary[user]
        return np.where(org >= 0, self.id[np.maximum(org, 0)], None)


#: Share of users in at least one organization, mean organization size, share in a second one.
ORG_MEMBERSHIP_SHARE = 0.7
MEAN_ORG_SIZE = 6
SECOND_ORG_SHARE = 0.03


def generate_organizations(rng: np.random.Generator, users: Users) -> tuple[Organizations, dict, dict]:
    """Return the organizations and the COPY batches of organizations and organization_members."""
    n = len(users.id)
    n_orgs = max(1, int(round(n * ORG_MEMBERSHIP_SHARE / MEAN_ORG_SIZE)))
    order = rng.permutation(n)
    owners = order[:n_orgs]
    joiners = order[n_orgs:max(n_orgs, int(round(n * ORG_MEMBERSHIP_SHARE)))]
    popularity = rng.pareto(1.3, n_orgs) + 1
    joiner_org = rng.choice(n_orgs, size=len(joiners), p=popularity / popularity.sum())
    members = np.concatenate([owners, joiners])
    first_org = np.concatenate([np.arange(n_orgs), joiner_org])
    second = members[chosen(rng, len(members), SECOND_ORG_SHARE, minimum=1)]
    second_org = rng.choice(n_orgs, size=len(second), p=popularity / popularity.sum())
    return _organizations(rng, users, owners, members, first_org, second, second_org)


def _organizations(rng, users: Users, owners, members, first_org, second, second_org):
    """Return (Organizations, organizations batch, organization_members batch)."""
    n_orgs = len(owners)
    primary = np.full(len(users.id), -1)
    primary[members] = first_org
    distinct = second_org != primary[second]
    member_org = np.concatenate([first_org, second_org[distinct]])
    member_user = np.concatenate([members, second[distinct]])
    created = later(rng, users.created[owners], 7 * DAY, REFERENCE_TS - HOUR)
    base = np.maximum(created[member_org], users.created[member_user])
    joined = np.where(np.arange(len(member_org)) < n_orgs, created[member_org], later(rng, base, 30 * DAY))
    orgs = Organizations(id=uuids(rng, n_orgs), owner=owners, created=created, member_org=member_org,
                         member_user=member_user, member_joined=joined, primary=primary)
    return orgs, _organization_batch(rng, users, orgs), _member_batch(rng, users, orgs)


def _organization_batch(rng, users: Users, orgs: Organizations) -> dict:
    """Return the organizations batch: names, unique slugs, owners, settings."""
    n = len(orgs.id)
    names = pick(rng, cat.COMPANY_WORDS, n) + " " + pick(rng, cat.COMPANY_SUFFIXES, n)
    slugs = numbered([ascii_slug(name, "-") for name in names], lambda slug, k: f"{slug}-{k}")
    sso = [{"provider": "okta", "domain": f"{slug}.okta.com"} if u < 0.05 else {}
           for slug, u in zip(slugs, rng.random(n))]
    settings = [{"timezone": tz, "currency": "USD", "fiscal_year_start_month": int(m)}
                for tz, m in zip(pick(rng, cat.TIMEZONES, n), rng.integers(1, 13, n))]
    return {
        "id": orgs.id, "name": names, "slug": slugs, "owner_id": users.id[orgs.owner],
        "sso_config": encode.json_values(sso), "settings": encode.json_values(settings),
        "status": pick(rng, ("active", "suspended", "archived"), n, (0.93, 0.03, 0.04)),
        "created_at": encode.timestamps(orgs.created),
        "updated_at": encode.timestamps(between(rng, orgs.created, REFERENCE_TS)),
    }


def _member_batch(rng, users: Users, orgs: Organizations) -> dict:
    """Return the organization_members batch: one owner per organization, then admins, analysts, members."""
    m = len(orgs.member_org)
    is_owner = np.arange(m) < len(orgs.id)
    role = np.where(is_owner, "owner", pick(rng, cat.ORG_ROLES, m, (0.12, 0.3, 0.58))).astype(object)
    permissions = {r: encode.json_values([p])[0] for r, p in _ROLE_PERMISSIONS.items()}
    return {
        "id": uuids(rng, m), "organization_id": orgs.id[orgs.member_org], "user_id": users.id[orgs.member_user],
        "role": role, "permissions": np.array([permissions[r] for r in role], dtype=object),
        "department": with_blanks(rng, pick(rng, cat.DEPARTMENTS, m), 0.2),
        "status": np.where(is_owner, "active", pick(rng, ("active", "invited", "inactive"), m, (0.92, 0.05, 0.03))),
        "joined_at": encode.timestamps(orgs.member_joined),
        "updated_at": encode.timestamps(between(rng, orgs.member_joined, REFERENCE_TS)),
    }


_ROLE_PERMISSIONS = {
    "owner": {"manage_billing": True, "manage_members": True, "edit": True, "view": True},
    "admin": {"manage_billing": False, "manage_members": True, "edit": True, "view": True},
    "analyst": {"manage_billing": False, "manage_members": False, "edit": True, "view": True},
    "member": {"manage_billing": False, "manage_members": False, "edit": False, "view": True},
}


#: Share of users with a subscription (never more than one each).
SUBSCRIBED_SHARE = 0.85


def generate_subscriptions(rng: np.random.Generator, users: Users, orgs: Organizations) -> dict:
    """Return the subscriptions batch: at most one per user; owners lean to paid plans."""
    user = np.flatnonzero(rng.random(len(users.id)) < SUBSCRIBED_SHARE)
    n = len(user)
    owner = np.isin(user, orgs.owner)
    plan_codes = np.where(owner, rng.choice(4, n, p=(0.25, 0.25, 0.3, 0.2)),
                          rng.choice(4, n, p=(0.55, 0.2, 0.18, 0.07)))
    plan = np.array(cat.PLANS, dtype=object)[plan_codes]
    paid = plan != "free"
    status = np.where(paid, pick(rng, cat.SUBSCRIPTION_STATUSES, n, (0.12, 0.65, 0.06, 0.17)),
                      pick(rng, ("active", "canceled"), n, (0.9, 0.1))).astype(object)
    cycle = np.where(paid, pick(rng, ("monthly", "annual"), n, (0.7, 0.3)), None)
    period = np.where(cycle == "annual", 365, 30) * DAY
    billing = REFERENCE_TS + (rng.random(n) * period).astype(np.int64) + DAY
    billing[~paid | (status == "canceled")] = MISSING
    created = later(rng, users.created[user], 3 * DAY, REFERENCE_TS - HOUR)
    stripe = [{"price_id": f"price_{p}_{c}", "currency": "usd"} if c else {} for p, c in zip(plan, cycle)]
    return {
        "id": uuids(rng, n), "user_id": users.id[user], "plan": plan, "status": status, "billing_cycle": cycle,
        "next_billing_date": encode.dates(billing),
        "stripe_subscription_id": np.where(paid, "sub_" + tokens(rng, n, 14, ALNUM), None),
        "stripe_customer_id": np.where(paid, "cus_" + tokens(rng, n, 14, ALNUM), None),
        "stripe_data": encode.json_values(stripe),
        "created_at": encode.timestamps(created), "updated_at": encode.timestamps(between(rng, created, REFERENCE_TS)),
    }


#: Mean assessment invitations per organization; days an invitation stays valid.
INVITATIONS_PER_ORG = 2.0
INVITATION_DAYS = 14


def generate_invitations(rng: np.random.Generator, users: Users, orgs: Organizations) -> dict:
    """Return the assessment_invitations batch: sent by owners, with unique tokens and consistent statuses."""
    org = np.repeat(np.arange(len(orgs.id)), rng.poisson(INVITATIONS_PER_ORG, len(orgs.id)))
    n = len(org)
    created = between(rng, orgs.created[org], REFERENCE_TS - HOUR)
    expires = created + INVITATION_DAYS * DAY
    done = rng.random(n) < 0.45
    completed = np.where(done, between(rng, created, np.minimum(expires, REFERENCE_TS)), MISSING)
    lapsed = np.where(rng.random(n) < 0.9, "expired", "revoked")
    open_ = np.where(rng.random(n) < 0.8, "pending", "accepted")
    status = np.where(done, "completed", np.where(expires < REFERENCE_TS, lapsed, open_)).astype(object)
    first, last = pick(rng, cat.FIRST_NAMES, n), pick(rng, cat.LAST_NAMES, n)
    domain = [ascii_slug(w) + ".com" for w in pick(rng, cat.COMPANY_WORDS, n)]
    email = [f"{ascii_slug(f)}.{ascii_slug(s)}@{d}" for f, s, d in zip(first, last, domain)]
    return {
        "id": uuids(rng, n), "inviter_id": users.id[orgs.owner[org]], "organization_id": orgs.id[org],
        "invitee_email": np.array(email, dtype=object),
        "invitee_name": with_blanks(rng, first + " " + last, 0.3),
        "assessment_type": pick(rng, cat.INVITATION_TYPES, n, (0.6, 0.25, 0.15)),
        "invitation_token": tokens(rng, n, 32, URLSAFE), "status": status,
        "expires_at": encode.timestamps(expires), "completed_at": encode.timestamps(completed),
        "custom_message": with_blanks(rng, pick(rng, cat.INVITATION_MESSAGES, n), 0.5),
        "created_at": encode.timestamps(created),
    }
