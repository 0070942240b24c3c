"""Users, organizations and memberships of the hand-made test data of reports 06 and 07, written in one place."""

from __future__ import annotations

from datetime import datetime, timezone

from bi_workbench.schema import tables as t

#: When the organizations were created and their members joined (before any activity).
NEW_YEAR = "2025-01-01 00:00"


def at(text: str) -> datetime:
    """A UTC instant from 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def insert_people(conn, users, organizations, members) -> None:
    """Insert ``users`` (id, name, industry, created 'YYYY-MM-DD HH:MM'), ``organizations`` (id, name, slug)
    created at `NEW_YEAR` and ``members`` (organization, user, role) who joined then."""
    conn.execute(t.users.insert(), [
        {"id": u, "email": f"{n}@example.com", "first_name": "U", "last_name": n, "industry": i, "created_at": at(c)}
        for u, n, i, c in users])
    conn.execute(t.organizations.insert(), [
        {"id": o, "name": n, "slug": slug, "created_at": at(NEW_YEAR)} for o, n, slug in organizations])
    conn.execute(t.organization_members.insert(), [
        {"organization_id": o, "user_id": u, "role": r, "joined_at": at(NEW_YEAR)} for o, u, r in members])
