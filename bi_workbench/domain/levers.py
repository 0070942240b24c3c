"""Growth levers: RICE prioritisation, ROI ranges, an implementation plan, progress roll-ups.

RICE, per lever::

    RICE = reach x impact x confidence / effort

- ``reach``: share of the customer base (or prospects) the lever touches per quarter, 0-1;
- ``impact``: effect on each one touched, on Intercom's scale 0.25 minimal,
  0.5 low, 1 medium, 2 high, 3 massive;
- ``confidence``: how sure the estimates are, 0-1;
- ``effort``: person-months to implement.

The catalogue (``LEVER_CATALOGUE``, data) gives each lever default reach,
impact, confidence and effort, the metric it moves (``acquisition``: relative
uplift of new customers per month; ``churn``: relative reduction of the monthly
churn rate; ``expansion``: percentage points added to the monthly net expansion
rate) with a low/expected/high range, the assessment categories it needs
(``readiness``) and the ones it repairs (``need``).

Optional adjustment by an assessment's category scores (0-5, centre 2.5)::

    confidence' = clip(confidence x (1 + 0.4 x (mean readiness score - 2.5) / 2.5), 0.05, 1)
    impact'     = impact x (1 + 0.4 x (2.5 - mean need score) / 2.5)

so a ready organisation is likelier to succeed (x0.6 .. x1.4) and a lever that
repairs a weak category matters more (x0.6 .. x1.4); missing scores leave the
value as it is.

ROI per lever and range point: (incremental revenue over the horizon - cost) / cost,
with cost = effort x cost per person-month + the lever's running cost per month
(``monthly_cost``: media spend, referral rewards) x horizon, and the incremental revenue the
difference between two expected MRR paths (with and without the lever) of a
baseline (customers, ARPA, new customers per month, churn, expansion).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd

from ..errors import InvalidParameterError
from ..schema.tables import growth_levers

#: The fields of a lever in ``LEVER_CATALOGUE`` (see the module docstring), in the order of the rows below.
LEVER_FIELDS = ("reach", "impact", "confidence", "effort", "metric", "uplift", "readiness", "need", "monthly_cost")
#: The lever catalogue, as data: RICE defaults, the metric each moves with its range, fit, running cost.
LEVER_CATALOGUE: dict[str, dict] = {name: dict(zip(LEVER_FIELDS, row, strict=True)) for name, *row in (
    ("referral_program", 0.30, 1.0, 0.8, 1.5, "acquisition", (0.03, 0.08, 0.15), ("team",), ("growth",), 500.0),
    ("pricing_optimization", 1.00, 2.0, 0.5, 2.0, "expansion", (0.002, 0.005, 0.010), ("strategy",), ("growth",), 0.0),
    ("content_marketing", 0.50, 1.0, 0.8, 3.0, "acquisition", (0.02, 0.06, 0.12), ("operations",), ("growth",), 1_000.0),
    ("sales_enablement", 0.40, 1.0, 0.8, 2.0, "acquisition", (0.03, 0.07, 0.12), ("team",), ("operations",), 0.0),
    ("onboarding_improvement", 0.60, 2.0, 0.8, 2.0, "churn", (0.05, 0.12, 0.20), ("technology",), ("operations",), 0.0),
    ("churn_reduction", 0.80, 2.0, 0.5, 3.0, "churn", (0.08, 0.18, 0.30), ("technology", "strategy"), ("growth",), 0.0),
    ("partnerships", 0.30, 2.0, 0.5, 4.0, "acquisition", (0.02, 0.10, 0.25), ("team",), (), 500.0),
    ("paid_acquisition", 0.70, 1.0, 0.5, 1.0, "acquisition", (0.05, 0.15, 0.30), ("technology", "strategy"), (), 4_000.0),
)}
METRICS = ("acquisition", "churn", "expansion")
#: Strength of the category-score adjustments (see the module docstring).
READINESS_STRENGTH = 0.4
NEED_STRENGTH = 0.4
#: The economics assumed when none are given: a small B2B SaaS.
DEFAULT_BASELINE = {"customers": 200, "arpa": 500.0, "new_customers": 20.0, "churn_rate": 0.03,
                    "expansion_rate": 0.005}
#: Impact/effort quadrants, in the order they are scheduled.
PHASES = ("quick_win", "major_project", "fill_in", "deprioritised")


def catalogue_frame(catalogue: Mapping[str, Mapping] | None = None) -> pd.DataFrame:
    """Return the lever catalogue as a DataFrame indexed by lever, validated.

    Example: ``catalogue_frame().loc["paid_acquisition", "effort"]`` -> ``1.0``.
    """
    catalogue = LEVER_CATALOGUE if catalogue is None else catalogue
    frame = pd.DataFrame.from_dict({k: dict(v) for k, v in catalogue.items()}, orient="index")
    for column in ("reach", "impact", "confidence", "effort"):
        values = pd.to_numeric(frame.get(column), errors="coerce")
        if values.isna().any() or (values <= 0).any() or (column in ("reach", "confidence") and (values > 1).any()):
            raise InvalidParameterError(f"lever catalogue: {column} must be a number > 0"
                                        f"{' and <= 1' if column in ('reach', 'confidence') else ''} for every lever")
        frame[column] = values.astype(float)
    bad = frame.index[~frame["metric"].isin(METRICS)].tolist()
    if bad:
        raise InvalidParameterError(f"lever catalogue: metric of {bad} must be one of {', '.join(METRICS)}")
    for lever, (low, mid, high) in frame["uplift"].items():
        if not low <= mid <= high:
            raise InvalidParameterError(f"lever catalogue: uplift of {lever!r} must be (low, expected, high) ascending")
    return frame


def _selected(frame: pd.DataFrame, levers: Iterable[str] | None) -> pd.DataFrame:
    """Return the catalogue rows of ``levers`` (all when None); raise naming unknown levers."""
    if levers is None:
        return frame
    levers = list(dict.fromkeys(levers))
    unknown = [lever for lever in levers if lever not in frame.index]
    if unknown or not levers:
        raise InvalidParameterError(f"levers: unknown or none {unknown}; choose from {', '.join(frame.index)}")
    return frame.loc[levers]


def _mean_score(categories: Sequence[str], scores: Mapping[str, float | None]) -> float:
    """Return the mean of the available scores of ``categories`` (NaN if none)."""
    values = [float(scores[c]) for c in categories if scores.get(c) is not None and not math.isnan(float(scores[c]))]
    return float(np.mean(values)) if values else math.nan


def rice_table(levers: Iterable[str] | None = None, category_scores: Mapping[str, float | None] | None = None,
               catalogue: Mapping[str, Mapping] | None = None) -> pd.DataFrame:
    """Return one row per lever with reach, impact, confidence, effort (adjusted), rice and rank, best first.

    Example: ``rice_table(["paid_acquisition", "partnerships"])["rice"].tolist()`` ->
    ``[0.35, 0.075]`` (0.7 x 1 x 0.5 / 1 and 0.3 x 2 x 0.5 / 4).
    """
    table = _selected(catalogue_frame(catalogue), levers).copy()
    scores = dict(category_scores or {})
    readiness = np.array([_mean_score(c, scores) for c in table["readiness"]])
    need = np.array([_mean_score(c, scores) for c in table["need"]])
    ready = 1 + READINESS_STRENGTH * np.nan_to_num((readiness - 2.5) / 2.5)
    table["confidence"] = np.clip(table["confidence"] * ready, 0.05, 1.0)
    table["impact"] = table["impact"] * (1 + NEED_STRENGTH * np.nan_to_num((2.5 - need) / 2.5))
    table["rice"] = table["reach"] * table["impact"] * table["confidence"] / table["effort"]
    table = table.sort_values(["rice", "effort"], ascending=[False, True], kind="stable")
    table["rank"] = np.arange(1, len(table) + 1)
    table.index.name = "lever"
    return table


# --- ROI -------------------------------------------------------------------------


def expected_mrr_path(months: int, customers: float, arpa: float, new_customers: float, churn_rate: float,
                      expansion_rate: float) -> np.ndarray:
    """Return the expected MRR at months 1..months of a deterministic baseline (no randomness).

    Each month: MRR x (1 - churn) x (1 + expansion) + new customers x ARPA.
    Example: ``expected_mrr_path(2, 10, 100, 0, 0, 0)`` -> ``array([1000., 1000.])``.
    """
    mrr = np.empty(months)
    current = customers * arpa
    for month in range(months):
        current = current * (1 - churn_rate) * (1 + expansion_rate) + new_customers * arpa
        mrr[month] = current
    return mrr


def _lever_baseline(baseline: Mapping, metric: str, uplift: float) -> dict:
    """Return the baseline with one metric moved by ``uplift`` (see the module docstring)."""
    moved = dict(baseline)
    if metric == "acquisition":
        moved["new_customers"] = baseline["new_customers"] * (1 + uplift)
    elif metric == "churn":
        moved["churn_rate"] = baseline["churn_rate"] * (1 - uplift)
    else:
        moved["expansion_rate"] = baseline["expansion_rate"] + uplift
    return moved


def roi_estimates(table: pd.DataFrame, baseline: Mapping | None = None, horizon_months: int = 12,
                  cost_per_person_month: float = 12_000.0) -> dict[str, dict[str, float]]:
    """Return {lever: {low, expected, high}} ROI multiples over the horizon for the levers of a rice_table.

    Example: ``roi_estimates(rice_table(["paid_acquisition"]))`` ->
    ``{'paid_acquisition': {'low': ..., 'expected': ..., 'high': ...}}`` with low <= expected <= high.
    """
    base = {**DEFAULT_BASELINE, **(baseline or {})}
    _check_baseline(base, horizon_months, cost_per_person_month)
    keys = ("customers", "arpa", "new_customers", "churn_rate", "expansion_rate")
    reference = expected_mrr_path(horizon_months, *(base[k] for k in keys)).sum()
    out = {}
    for lever, row in table.iterrows():
        running = row.get("monthly_cost", 0.0)
        cost = row["effort"] * cost_per_person_month + (0.0 if pd.isna(running) else running) * horizon_months
        revenue = [expected_mrr_path(horizon_months, *(_lever_baseline(base, row["metric"], u)[k] for k in keys)).sum()
                   - reference for u in row["uplift"]]
        out[lever] = {name: round(float((r - cost) / cost), 3) for name, r in zip(("low", "expected", "high"), revenue)}
    return out


def _check_baseline(base: Mapping, horizon_months: int, cost: float) -> None:
    """Raise InvalidParameterError naming the first baseline value outside what is allowed."""
    limits = {"customers": (0, math.inf), "arpa": (0, math.inf), "new_customers": (0, math.inf),
              "churn_rate": (0, 1), "expansion_rate": (-1, math.inf)}
    for key, (low, high) in limits.items():
        value = base[key]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
            raise InvalidParameterError(f"baseline {key} must be a number from {low} to {high}, got {value!r}")
    if not isinstance(horizon_months, int) or horizon_months < 1:
        raise InvalidParameterError(f"horizon_months must be a whole number >= 1, got {horizon_months!r}")
    if not cost > 0:
        raise InvalidParameterError(f"cost_per_person_month must be > 0, got {cost!r}")


# --- the plan --------------------------------------------------------------------


def implementation_plan(table: pd.DataFrame, capacity: float = 2.0, quick_effort: float = 2.0) -> list[dict]:
    """Return the levers of a rice_table as ordered steps: phase, start and end month, by priority and effort.

    Phases are the impact/effort quadrants: ``quick_win`` (RICE at or above the
    median, effort <= quick_effort), ``major_project`` (high RICE, more effort),
    ``fill_in`` (low RICE, little effort), ``deprioritised`` (low RICE, much effort);
    within a phase by RICE. Steps run one after another at ``capacity``
    person-months per month.

    Example: ``implementation_plan(rice_table())[0]`` ->
    ``{'step': 1, 'lever': 'pricing_optimization', 'phase': 'quick_win', 'start_month': 0.0, 'end_month': 1.0, ...}``.
    """
    if not capacity > 0:
        raise InvalidParameterError(f"capacity must be > 0 person-months per month, got {capacity!r}")
    high = table["rice"] >= table["rice"].median()
    small = table["effort"] <= quick_effort
    phase = np.select([high & small, high, small], PHASES[:3], PHASES[3])
    ordered = table.assign(phase=phase, order=[PHASES.index(p) for p in phase]).sort_values(
        ["order", "rice", "effort"], ascending=[True, False, True], kind="stable")
    end = (ordered["effort"] / capacity).cumsum()
    start = end - ordered["effort"] / capacity
    return [{"step": i + 1, "lever": lever, "phase": row["phase"], "start_month": round(float(s), 2),
             "end_month": round(float(e), 2), "effort": float(row["effort"]), "rice": round(float(row["rice"]), 4)}
            for i, ((lever, row), s, e) in enumerate(zip(ordered.iterrows(), start, end))]


@dataclass(frozen=True)
class LeverPlan:
    """A prioritised set of levers: the RICE table, priority_scores, roi_estimates, implementation_plan."""

    table: pd.DataFrame
    priority_scores: dict[str, float]
    roi_estimates: dict[str, dict[str, float]]
    implementation_plan: list[dict]
    assumptions: dict = field(default_factory=dict)

    @property
    def levers(self) -> list[str]:
        """Return the levers, best first."""
        return list(self.table.index)


def prioritize_levers(levers: Iterable[str] | None = None, category_scores: Mapping[str, float | None] | None = None,
                      *, baseline: Mapping | None = None, catalogue: Mapping[str, Mapping] | None = None,
                      horizon_months: int = 12, cost_per_person_month: float = 12_000.0,
                      capacity: float = 2.0) -> LeverPlan:
    """Return the LeverPlan of ``levers`` (all catalogue levers when None), optionally fitted to category scores.

    Example::

        >>> plan = prioritize_levers(category_scores={"growth": 1.5, "technology": 4.0})
        >>> plan.levers[0], plan.priority_scores["paid_acquisition"]
        ('onboarding_improvement', 0.434)
    """
    table = rice_table(levers, category_scores, catalogue)
    return LeverPlan(
        table=table,
        priority_scores={lever: round(float(v), 4) for lever, v in table["rice"].items()},
        roi_estimates=roi_estimates(table, baseline, horizon_months, cost_per_person_month),
        implementation_plan=implementation_plan(table, capacity),
        assumptions={"baseline": {**DEFAULT_BASELINE, **(baseline or {})}, "horizon_months": horizon_months,
                     "cost_per_person_month": cost_per_person_month, "capacity": capacity,
                     "category_scores": dict(category_scores or {})},
    )


def write_lever_plan(connection, user_id, organization_id, plan: LeverPlan, status: str = "suggested"):
    """Insert ``plan`` into growth_levers in the caller's transaction; return the new row's id (a UUID).

    Example: ``with engine.begin() as conn: write_lever_plan(conn, user_id, None, prioritize_levers())``.
    """
    values = {"user_id": user_id, "organization_id": organization_id, "levers": plan.levers,
              "priority_scores": plan.priority_scores, "roi_estimates": plan.roi_estimates,
              "implementation_plan": {"steps": plan.implementation_plan, "assumptions": plan.assumptions},
              "status": status}
    return connection.execute(growth_levers.insert().values(**values).returning(growth_levers.c.id)).scalar_one()


# --- progress --------------------------------------------------------------------


def progress_rollup(progress: pd.DataFrame, by: str | Sequence[str] = "lever_id", *, as_of: datetime | None = None,
                    due_after_days: int = 90) -> pd.DataFrame:
    """Return growth_progress rows rolled up per ``by`` (e.g. 'lever_id', 'user_id', 'organization_id').

    Columns: milestones, mean_progress (0-100), completed, in_progress,
    not_started, overdue, completion_rate. A milestone is overdue when it is
    not completed and its ``due_at`` (if the frame has one) or
    ``created_at + due_after_days`` is before ``as_of`` (default now, UTC).

    Example: ``progress_rollup(df, by="user_id").loc[user, "completed"]`` -> ``3``.
    """
    keys = [by] if isinstance(by, str) else list(by)
    missing = [c for c in [*keys, "status"] if c not in progress.columns]
    if missing:
        raise InvalidParameterError(f"progress_rollup: columns {missing} are missing; got {list(progress.columns)}")
    status = progress["status"].astype(object).where(progress["status"].notna(), "not_started")
    status = status.astype(str).str.strip().str.lower()
    if "progress_percentage" in progress.columns:
        pct = pd.to_numeric(progress["progress_percentage"], errors="coerce").astype(float)
    else:
        pct = pd.Series(np.where(status == "completed", 100.0, 0.0), index=progress.index)
    frame = progress[keys].copy()
    frame["progress"] = pct.to_numpy()
    frame["completed"] = (status == "completed").to_numpy()
    frame["in_progress"] = (status == "in_progress").to_numpy()
    frame["not_started"] = (status == "not_started").to_numpy()
    frame["overdue"] = (_due(progress, due_after_days) < _as_utc(as_of)).to_numpy() & ~frame["completed"].to_numpy()
    out = frame.groupby(keys, dropna=False).agg(
        milestones=("progress", "size"), mean_progress=("progress", "mean"), completed=("completed", "sum"),
        in_progress=("in_progress", "sum"), not_started=("not_started", "sum"), overdue=("overdue", "sum"))
    out["completion_rate"] = out["completed"] / out["milestones"]
    return out


def _as_utc(moment: datetime | None) -> pd.Timestamp:
    """Return ``moment`` (default now) as a UTC Timestamp; naive datetimes are taken as UTC."""
    stamp = pd.Timestamp(moment or datetime.now(timezone.utc))
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _due(progress: pd.DataFrame, due_after_days: int) -> pd.Series:
    """Return each milestone's due time (UTC): due_at if present, else created_at + due_after_days."""
    if "due_at" in progress.columns:
        return pd.to_datetime(progress["due_at"], utc=True)
    if "created_at" not in progress.columns:
        return pd.Series(pd.NaT, index=progress.index, dtype="datetime64[ns, UTC]")
    return pd.to_datetime(progress["created_at"], utc=True) + timedelta(days=due_after_days)
