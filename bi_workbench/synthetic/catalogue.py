"""Fixed vocabularies the generators draw from (names, industries, levers, texts).

Order matters: the generators index into these tuples, so changing one
changes every dataset built from it. The sentences (free-text answers,
recommendations, insights, messages) are prose, kept as data in ``texts.json``.
"""

from __future__ import annotations

import json
from importlib import resources

_TEXTS = json.loads(resources.files(__package__).joinpath("texts.json").read_text(encoding="utf-8"))


def _text(name: str) -> tuple[str, ...]:
    """Return the sentences listed under ``name`` in texts.json, in their order."""
    return tuple(_TEXTS[name])

FIRST_NAMES = (
    "Ava", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Sofia", "Lucas", "Mia", "Ethan",
    "Amara", "Kenji", "Priya", "Diego", "Fatima", "Jonas", "Chloe", "Arjun", "Ingrid", "Omar",
    "Zoe", "Luca", "Hana", "Samuel", "Isla", "Tariq", "Elena", "Malik", "Nora", "Felix",
    "Aisha", "Hugo", "Leila", "Marcus", "Yuki", "Rafael", "Greta", "Kwame", "Maya", "Oscar",
    "Anneliese", "José", "Zoë", "Björn", "Siobhan", "Mary-Kate", "D'Angelo", "Xin", "Renée", "Ólafur",
)
LAST_NAMES = (
    "Smith", "Garcia", "Chen", "Müller", "Okafor", "Nakamura", "Patel", "Rossi", "Johansson", "Kowalski",
    "Silva", "Nguyen", "Dubois", "Haddad", "Kim", "Novak", "Fischer", "Moreau", "Ivanova", "Mensah",
    "O'Brien", "Van der Berg", "Lopez", "Sato", "Andersen", "Costa", "Singh", "Walker", "Bianchi", "Ahmed",
    "Schmidt", "Tanaka", "Murphy", "Yilmaz", "Horvath", "Eriksen", "Reyes", "Khan", "Lambert", "Park",
)
COMPANY_WORDS = (
    "Acme", "Northwind", "Bluebird", "Summit", "Lumen", "Quantive", "Harbor", "Nimbus", "Vertex", "Cobalt",
    "Tidal", "Orchard", "Beacon", "Granite", "Pioneer", "Helix", "Atlas", "Juniper", "Kestrel", "Meridian",
)
COMPANY_SUFFIXES = ("Labs", "Analytics", "Systems", "Co", "Group", "Software", "Health", "Logistics", "Studio",
                    "Partners")
FREE_MAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com")
INDUSTRIES = (
    "SaaS", "Fintech", "Healthcare", "E-commerce", "Manufacturing", "Education",
    "Media", "Real Estate", "Logistics", "Professional Services",
)
INDUSTRY_WEIGHTS = (0.26, 0.12, 0.1, 0.12, 0.07, 0.06, 0.06, 0.05, 0.06, 0.1)
TITLES = ("CEO", "Founder", "CTO", "VP Marketing", "Head of Growth", "Product Manager",
          "Marketing Manager", "Data Analyst", "COO", "Sales Director", "Consultant")
COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1000+")
REVENUE_RANGES = ("<$1M", "$1M-$5M", "$5M-$20M", "$20M-$100M", "$100M+")
TIMEZONES = ("America/New_York", "America/Los_Angeles", "America/Chicago", "Europe/London",
             "Europe/Berlin", "Europe/Paris", "Asia/Kolkata", "Asia/Singapore", "Australia/Sydney",
             "America/Sao_Paulo", "Africa/Lagos", "Asia/Tokyo")
LEGACY_ROLES = ("user", "admin", "analyst", "owner")

# --- onboarding answers ----------------------------------------------------------

#: Answers outside the contract's choices, as users typed them.
UNKNOWN_ANSWERS = ("not sure", "n/a", "other", "TBD", "growing", "depends", "-", "??", "Series C", "maybe")
FREE_TEXT_ANSWERS = _text("free_text_answers")
FRICTION_POINTS = (
    "long sales cycle", "low activation", "high churn", "unclear ICP", "pricing confusion",
    "manual reporting", "siloed data", "slow onboarding", "weak referral loop", "hiring",
    "limited budget", "tool sprawl",
)

# --- scoring -----------------------------------------------------------------------

#: Score brackets of the legacy scoring results: (lower bound inclusive, name).
SCORE_BRACKETS = ((0.0, "emerging"), (2.0, "developing"), (3.0, "scaling"), (4.0, "leading"))
SCORE_CATEGORIES = ("growth", "go_to_market", "product", "technology", "team", "operations")
RECOMMENDATIONS = _text("recommendations")
NEXT_STEPS = (
    "Book a strategy session", "Invite your team to the assessment", "Review the benchmark report",
    "Pick two growth levers for next quarter", "Connect your CRM", "Re-take the assessment in 90 days",
)
AI_INSIGHTS = _text("ai_insights")

# --- market intelligence -------------------------------------------------------

AI_MODEL_VERSIONS = ("gpt-4-0613", "gpt-4-turbo-2024-04-09", "gpt-4o-2024-05-13", "claude-3-opus-20240229",
                     "insights-v2.3")
DATA_SOURCES = ("gartner", "statista", "crunchbase", "linkedin", "google_trends", "company_filings", "news_api")
COMPETITION_LEVELS = ("low", "moderate", "high", "saturated")
SENTIMENT_LABELS = ("negative", "neutral", "positive")
TREND_PHENOMENA = _text("trend_phenomena")
TREND_SOURCES = ("newsapi", "perplexity", "manual", "rss:techcrunch", "rss:reuters", "analyst_note")
PLAYBOOK_INSIGHTS = _text("playbook_insights")
PLAYBOOK_SOURCES = ("growth_team", "ai_generated", "webinar_notes", "customer_interviews")

# --- platform ------------------------------------------------------------------

LEVER_CATALOGUE = (
    "referral_program", "pricing_optimization", "content_marketing", "sales_enablement",
    "onboarding_improvement", "churn_reduction", "partnerships", "paid_acquisition",
)
LEVER_STATUSES = ("suggested", "accepted", "in_progress", "completed", "rejected")
MILESTONE_TEMPLATES = ("Define success metrics for {}", "Launch a pilot of {}", "Roll out {} to all segments",
                       "Review results of {}")
ORG_ROLES = ("admin", "analyst", "member")
DEPARTMENTS = ("Marketing", "Sales", "Product", "Engineering", "Finance", "Operations", "Executive", "Customer Success")
PLANS = ("free", "starter", "pro", "enterprise")
SUBSCRIPTION_STATUSES = ("trial", "active", "past_due", "canceled")
INVITATION_TYPES = ("onboarding", "growth_readiness", "market_fit")
INVITATION_MESSAGES = _text("invitation_messages")
WIDGET_TYPES = ("kpi_card", "line_chart", "funnel", "leaderboard", "growth_levers",
                "market_insights", "simulation_summary", "assessment_score")
NOTIFICATION_TYPES = ("assessment_completed", "lever_suggested", "simulation_completed", "team_message",
                      "billing", "market_insight", "system")
NOTIFICATION_PRIORITIES = ("low", "medium", "high", "urgent")
MESSAGE_TYPES = ("text", "mention", "system")
TEAM_MESSAGES = _text("team_messages")
EMAIL_TYPES = ("weekly_digest", "product_updates", "marketing", "assessment_reminders", "billing_alerts")
NEWS_SOURCES = (("TechCrunch", "techcrunch.com"), ("Reuters", "reuters.com"), ("Bloomberg", "bloomberg.com"),
                ("The Verge", "theverge.com"), ("HBR", "hbr.org"), ("SaaStr", "saastr.com"))
NEWS_CATEGORIES = ("funding", "product", "market", "regulation", "people", "research")
NEWS_HEADLINES = (
    "{} startups raise record rounds", "What usage pricing means for {}", "{} buyers cut tool budgets",
    "New rules for {} data", "The state of growth in {}", "{} leaders bet on AI analytics",
)
SESSION_SOURCES = ("web", "mobile", "api")
#: (source, user agent, device_info) of the clients seen on the platform.
CLIENTS = (
    ("web", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
     {"device": "desktop", "os": "Windows 11", "browser": "Chrome"}),
    ("web", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15",
     {"device": "desktop", "os": "macOS 14", "browser": "Safari"}),
    ("web", "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
     {"device": "desktop", "os": "Linux", "browser": "Firefox"}),
    ("web", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edg/124.0",
     {"device": "desktop", "os": "Windows 10", "browser": "Edge"}),
    ("mobile", "BIPlatform/3.8.1 (iPhone; iOS 17.4)", {"device": "phone", "os": "iOS 17", "app_version": "3.8.1"}),
    ("mobile", "BIPlatform/3.8.0 (Android 14; Pixel 8)",
     {"device": "phone", "os": "Android 14", "app_version": "3.8.0"}),
    ("mobile", "BIPlatform/3.7.2 (iPad; iPadOS 17.3)", {"device": "tablet", "os": "iPadOS 17", "app_version": "3.7.2"}),
    ("api", "python-requests/2.31.0", {"device": "server", "client": "python-requests"}),
    ("api", "bi-platform-sdk-node/1.4.0", {"device": "server", "client": "node-sdk"}),
)
#: The product funnel: (analytics event type, relative frequency after the first event of a session).
FUNNEL = (
    ("page_view", 0.46), ("signup", 0.0), ("assessment_started", 0.1), ("assessment_completed", 0.07),
    ("report_viewed", 0.16), ("lever_accepted", 0.06), ("simulation_run", 0.08), ("upgrade", 0.01),
    ("dashboard_viewed", 0.06),
)
PAGES = ("/dashboard", "/assessments", "/reports", "/growth-levers", "/simulations", "/market", "/settings", "/pricing")
