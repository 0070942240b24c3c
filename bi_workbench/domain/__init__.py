"""Domain logic over DataFrames and arrays: assessment scoring, growth levers, growth simulation, analytics.

Nothing here opens a connection: functions take data, and the few that write
(``write_scores``, ``write_lever_plan``) take an SQLAlchemy
Connection handed to them.
"""

from .analytics import (
    DEFAULT_FUNNEL, active_users, funnel, market_by_industry, notification_read_rates, retention,
    sentiment_by_industry, session_lengths, top_news, trend_counts,
)
from .levers import (
    LEVER_CATALOGUE, LeverPlan, catalogue_frame, implementation_plan, prioritize_levers, progress_rollup,
    rice_table, roi_estimates, write_lever_plan,
)
from .scoring import (
    LegacyComparison, Rubric, assign_brackets, compare_with_legacy, explain, load_rubric, score_assessments,
    score_responses, write_scores,
)
from .simulation import (
    SimulationInputs, SimulationResult, compare_scenarios, sensitivity, simulate, validate_inputs,
)

__all__ = [
    "DEFAULT_FUNNEL", "active_users", "funnel", "market_by_industry", "notification_read_rates", "retention",
    "sentiment_by_industry", "session_lengths", "top_news", "trend_counts",
    "LEVER_CATALOGUE", "LegacyComparison", "LeverPlan", "Rubric", "SimulationInputs", "SimulationResult",
    "assign_brackets", "catalogue_frame", "compare_scenarios", "compare_with_legacy", "explain",
    "implementation_plan", "load_rubric", "prioritize_levers", "progress_rollup", "rice_table", "roi_estimates",
    "score_assessments", "score_responses", "sensitivity", "simulate", "validate_inputs",
    "write_lever_plan", "write_scores",
]
