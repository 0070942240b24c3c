"""The growth report (notebook ``04_growth``): lever plans, priorities, progress and simulated MRR of a selection.

The functions that read the database take an SQLAlchemy Connection (they never
open one) and the report's `bi_workbench.metrics.Bounds` (`selection` resolves the
report's parameters once). Their numbers come from the metrics layer: counts
and the subscription economics are metrics of the catalogue (``levers``,
``simulations``, ``paying_customers``, ``mrr``, ``arpa``), lists are SQLAlchemy
Core SELECTs on `bi_workbench.metrics.selected_rows`, so the selection follows
the metrics layer's rules: a lever plan, milestone or simulation belongs to its
own organization, else to its user's (DESIGN.md); subscriptions belong to their
user's organizations; industries compare case- and space-insensitively.

The simulation's starting point comes from the selection's subscriptions
(`subscription_baseline`): customers are the catalogue's ``paying_customers``
at the end of the selection (a plan other than free, active or past_due), ARPA
and MRR the catalogue's ``arpa`` and ``mrr``; new customers are the paid
subscriptions started per month in the window, churn the cancellations of paid
subscriptions per subscription-month at risk in the window. Everything is
computed from the data and the parameters, never from the clock: the end of the
period is the selection's end (``until``, else the as_of bound).

The other functions take DataFrames; a selection without data gives empty
frames with the same columns.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import metrics
from ..errors import InvalidParameterError
from ..metrics.catalog import PLAN_PRICES, monthly_price  # noqa: F401 - PLAN_PRICES: the prices, for readers
from ..schema import tables as t
from .analytics import _instant
from .levers import progress_rollup, rice_table, roi_estimates
from .report_selection import checked, labelled, metric_frame, resolve, run
from .simulation import SimulationResult

#: The headline numbers of the report (metric names), shown at its top.
HEADLINES = ("paying_customers", "mrr", "arpa", "customer_churn_rate", "levers", "simulations")
#: (metric, dimension) of the key findings' breakdown: the lever plans by status.
SHARE = ("levers", "status")
#: The target of the simulations: this multiple of the starting MRR, within the horizon.
TARGET_GROWTH = 1.25
#: Months of subscription history that set new customers per month and churn when ``since`` is None.
BASELINE_WINDOW_MONTHS = 12
#: Average days per month, to turn time at risk into subscription-months.
DAYS_PER_MONTH = 30.4375
#: The stages of a lever plan, in order; ``rejected`` plans stop after ``suggested``.
STAGES = ("suggested", "accepted", "in_progress", "completed")
#: How many of the best levers (by RICE) the "with top levers" scenarios add.
TOP_LEVERS = 3
#: At most this many rows of the band table (months are sampled evenly, the last one always kept).
BAND_ROWS = 13

FUNNEL_COLUMNS = ["stage", "plans", "share_of_suggested", "conversion_from_previous"]
SCORES_COLUMNS = ["category", "score"]
PRIORITY_COLUMNS = ["lever", "metric", "reach", "impact", "confidence", "effort", "rice", "rank",
                    "catalogue_rice", "catalogue_rank"]
ROI_COLUMNS = ["lever", "metric", "roi_low", "roi_expected", "roi_high"]
PROGRESS_COLUMNS = ["lever", "milestones", "mean_progress", "completed", "in_progress", "not_started", "overdue",
                    "completion_rate"]
BAND_COLUMNS = ["month", "p10", "p50", "p90", "mean"]
TARGET_COLUMNS = ["starting_mrr", "target_mrr", "horizon_months", "probability_by_horizon", "probability_at_end",
                  "final_mrr_p50"]
SCENARIO_COLUMNS = ["scenario", "levers", "final_mrr_p10", "final_mrr_p50", "final_mrr_p90", "final_customers_p50",
                    "probability_of_target", "p50_vs_baseline"]
TORNADO_COLUMNS = ["parameter", "low_value", "high_value", "p50_low", "p50_high", "base_p50", "swing"]
STORED_COLUMNS = ["status", "simulations", "with_results", "median_p50", "mean_probability_of_target",
                  "first_created", "last_created"]
STORED_MONTH_COLUMNS = ["month", "complete", "status", "simulations"]


# --- the selection ------------------------------------------------------------------------


def selection(conn: Connection, params: Mapping) -> metrics.Bounds:
    """Return the report's selection resolved on ``conn`` (`report_selection.resolve`); errors name known values."""
    return resolve(conn, params)


def report_filters(params: Mapping, *, keys: Sequence[str] = ("organization_id", "industry")) -> dict:
    """Return the selection keywords (``keys``, since, until) of a report's parameters, ``until`` made exclusive.

    The report's ``until`` and ``as_of`` are inclusive dates; the returned
    ``until`` is the day after the earlier of them. Kept for
    `bi_workbench.domain.events_report`; the growth report itself uses `selection`.
    Example: ``report_filters({"until": date(2025, 1, 31), "as_of": None})["until"]`` -> ``date(2025, 2, 1)``.
    """
    ends = [_as_date(params[key], key) + dt.timedelta(days=1) for key in ("until", "as_of")
            if params.get(key) is not None]
    until = min(ends) if ends else None
    since = params.get("since")
    return {**{key: params.get(key) for key in keys},
            "since": None if since is None else _as_date(since, "since"), "until": until}


def half_open_range(since=None, until=None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Return ``since`` and ``until`` as aware UTC instants (None stays None) of a range ``[since, until)``.

    Raise InvalidParameterError naming a bad one, or when ``since`` is not before ``until``.
    """
    start, end = _instant(since, "since"), _instant(until, "until")
    if start is not None and end is not None and start >= end:
        raise InvalidParameterError(f"since must be before until (the range is [since, until)); "
                                    f"got since={since!r}, until={until!r}")
    return start, end


# --- lever plans ---------------------------------------------------------------------------


def lever_status_funnel(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return the lever plans reaching each stage: stage, plans, share_of_suggested, conversion_from_previous.

    The metric ``levers`` by status. Rows: the stages of `STAGES` in order, then
    ``rejected``. A plan's current status implies the stages it passed (a
    completed plan was accepted and in progress); rejected plans, and any status
    not in the list (blank: suggested), count as suggested only. Shares over 0
    plans are NaN. Example: 10 plans, 4 accepted, 1 of them completed, 2 rejected
    -> suggested 10 (1.0), accepted 4 (0.4, 0.4), in_progress 1, completed 1, rejected 2 (0.2, NaN).
    """
    frame = metric_frame(conn, bounds, "levers", by="status")
    counts: dict[str, int] = {}
    for status, plans in zip(frame["status"].fillna(""), frame["levers"]):
        counts[status or "suggested"] = counts.get(status or "suggested", 0) + int(plans)
    total = sum(counts.values())
    reached = [sum(n for status, n in counts.items() if status in STAGES[i:]) for i in range(len(STAGES))]
    reached[0] = total
    rows = []
    for i, (stage, plans) in enumerate(zip(STAGES, reached)):
        previous = reached[i - 1] if i else plans
        rows.append((stage, plans, _ratio(plans, total), _ratio(plans, previous)))
    rows.append(("rejected", counts.get("rejected", 0), _ratio(counts.get("rejected", 0), total), math.nan))
    frame = pd.DataFrame(rows, columns=FUNNEL_COLUMNS).astype({"plans": "int64"})
    return frame.round({"share_of_suggested": 4, "conversion_from_previous": 4})


# --- priorities -------------------------------------------------------------------------------


def latest_category_scores(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return the category scores (0-5) of the selected organization's latest scored assessment: category, score.

    The assessment is one the organization owns (its own, or a member's
    migrated one) created before the end of the selection, by its latest score
    (`bi_workbench.metrics.latest_scores`); ``frame.attrs["scored_at"]`` is when
    (None if none) and ``attrs["organization_id"]`` the organization. No
    organization, or none scored, gives an empty frame. Categories are sorted;
    values that are not numbers are left out. Example: a member scored
    {"growth": 1.5, "team": 4.0} -> rows ("growth", 1.5), ("team", 4.0).
    """
    frame = pd.DataFrame({"category": pd.Series(dtype="string"), "score": pd.Series(dtype="float64")})
    org = bounds.selection.organization_id
    frame.attrs.update(scored_at=None, organization_id=org)
    if org is None:
        return frame
    scored = metrics.selected_rows("assessment", bounds, stock=True).subquery("scored")
    row = checked(conn).execute(sa.select(scored.c.category_scores, scored.c.scored_at)
                               .where(scored.c.score_id.is_not(None))
                               .order_by(scored.c.scored_at.desc(), scored.c.score_id.desc()).limit(1)).first()
    if row is None:
        return frame
    scores = {str(k): float(v) for k, v in (row.category_scores or {}).items()
              if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}
    frame = pd.DataFrame({"category": pd.Series(sorted(scores), dtype="string"),
                          "score": pd.Series([round(scores[k], 2) for k in sorted(scores)], dtype="float64")})
    frame.attrs.update(scored_at=pd.Timestamp(row.scored_at).tz_convert("UTC"), organization_id=org)
    return frame


def describe_scores(scores: pd.DataFrame) -> str:
    """Return one sentence on a `latest_category_scores` frame: which priorities follow from it."""
    if scores.attrs.get("organization_id") is None:
        return "No organization selected: the priorities below are the lever catalogue's defaults."
    if scores.empty:
        return ("The organization has no scored assessment before the end of the period: "
                "the priorities below are the lever catalogue's defaults.")
    return (f"The organization's latest scored assessment is of {scores.attrs['scored_at']:%Y-%m-%d}: "
            "the priorities below are fitted to its category scores.")


def lever_priorities(category_scores: pd.DataFrame | Mapping[str, float] | None = None) -> pd.DataFrame:
    """Return the catalogue's levers by RICE, best first, fitted to category scores when given.

    Columns: lever, metric, reach, impact, confidence, effort, rice, rank (all
    fitted, see `bi_workbench.domain.levers`), catalogue_rice, catalogue_rank
    (the catalogue's defaults, equal to rice/rank without scores). Scores are a
    mapping or a `latest_category_scores` frame. Example:
    ``lever_priorities().iloc[0][["lever", "rice"]].tolist()`` -> ``["pricing_optimization", 0.5]``.
    """
    scores = _scores_mapping(category_scores)
    catalogue = rice_table()
    fitted = rice_table(None, scores) if scores else catalogue
    out = fitted[["metric", "reach", "impact", "confidence", "effort", "rice", "rank"]].copy()
    out["catalogue_rice"] = catalogue["rice"].reindex(out.index)
    out["catalogue_rank"] = catalogue["rank"].reindex(out.index)
    out = out.reset_index().rename(columns={"index": "lever"})
    out["lever"] = out["lever"].astype("string")
    out["metric"] = out["metric"].astype("string")
    out = out.astype({"rank": "int64", "catalogue_rank": "int64"})
    return out[PRIORITY_COLUMNS].round({"reach": 4, "impact": 4, "confidence": 4, "effort": 4, "rice": 4,
                                        "catalogue_rice": 4})


def _scores_mapping(scores) -> dict[str, float]:
    """Return category scores as {category: score} from a mapping, a scores frame or None."""
    if scores is None:
        return {}
    if isinstance(scores, pd.DataFrame):
        return {str(c): float(s) for c, s in zip(scores["category"], scores["score"]) if pd.notna(s)}
    if isinstance(scores, Mapping):
        return {str(c): float(s) for c, s in scores.items() if s is not None}
    raise InvalidParameterError(f"category_scores must be a mapping, a frame of category and score, or None; "
                                f"got {type(scores).__name__}")


# --- the baseline: subscriptions ------------------------------------------------------------


def subscription_baseline(conn: Connection, bounds: metrics.Bounds,
                          window_months: int = BASELINE_WINDOW_MONTHS) -> dict:
    """Return the economics of the selection's subscriptions at the end of the selection, as a dict.

    Keys: customers, mrr and arpa (the catalogue's ``paying_customers``, ``mrr``
    and ``arpa``; arpa is the new paid subscriptions' mean price when there are no
    customers), new_customers (paid subscriptions started per month in the
    window), churn_rate (cancellations of paid subscriptions in the window per
    subscription-month at risk in it, 0-1; a canceled subscription's
    ``updated_at`` is when), expansion_rate (0: list prices do not expand),
    cancellations, new_subscriptions, unpriced (customers on a plan without a
    price), and window_start / window_end (dates; the window is ``[since, end)``,
    or the last ``window_months`` months before the end when ``since`` is None;
    the end is the selection's). Example: 10 active pro-monthly subscriptions, 6
    of them started in the last 12 months, none canceled ->
    ``{"customers": 10, "arpa": 199.0, "mrr": 1990.0, "new_customers": 0.5, "churn_rate": 0.0, ...}``.
    """
    end = bounds.end or dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    start = bounds.start or (pd.Timestamp(end) - pd.DateOffset(months=int(window_months))).to_pydatetime()
    start = min(start, end)
    economics = metric_frame(conn, bounds, ["paying_customers", "mrr", "arpa"]).iloc[0]
    paid = metrics.selected_rows("subscription", bounds, stock=True,
                                 where=metrics.metric("customer_churn_rate").where).subquery("paid")
    paying = metrics.selected_rows("subscription", bounds, stock=True,
                                   where=metrics.metric("paying_customers").where).subquery("paying")
    canceled_at = sa.case((sa.func.lower(paid.c.status) == "canceled", paid.c.updated_at))
    stop = sa.func.least(sa.func.coalesce(canceled_at, end), end)
    row = run(conn, sa.select(
        sa.func.count().filter(paid.c.created_at >= start),
        sa.func.avg(monthly_price(paid)).filter(paid.c.created_at >= start),
        sa.func.count().filter(canceled_at >= start, canceled_at < end),
        sa.func.coalesce(sa.func.sum(sa.extract("epoch", stop - sa.func.greatest(paid.c.created_at, start)))
                         .filter(sa.func.coalesce(canceled_at, end) > start), 0),
        sa.select(sa.func.count()).where(monthly_price(paying).is_(None)).scalar_subquery()),
        ["new", "new_arpa", "cancellations", "seconds", "unpriced"]).iloc[0]
    months = (end - start).total_seconds() / 86400 / DAYS_PER_MONTH
    at_risk = float(row["seconds"] or 0.0) / 86400 / DAYS_PER_MONTH
    customers = int(economics["paying_customers"])
    arpa = economics["arpa"] if customers else row["new_arpa"]
    arpa = 0.0 if arpa is None or pd.isna(arpa) else float(arpa)
    return {
        "customers": customers, "arpa": round(arpa, 2), "mrr": round(float(economics["mrr"]), 2),
        "new_customers": round(int(row["new"]) / months, 4) if months > 0 else 0.0,
        "churn_rate": round(min(int(row["cancellations"]) / at_risk, 1.0), 4) if at_risk > 0 else 0.0,
        "expansion_rate": 0.0, "cancellations": int(row["cancellations"]),
        "new_subscriptions": int(row["new"]), "unpriced": int(row["unpriced"]),
        "window_start": start.date(), "window_end": end.date(),
    }


def baseline_frame(baseline: Mapping) -> pd.DataFrame:
    """Return a `subscription_baseline` as a two-column table (measure, value) for display, values as text.

    Example: ``baseline_frame(b).loc[0].tolist()`` -> ``['paying customers', '80']``.
    """
    labels = [("customers", "paying customers", "{:,}"), ("arpa", "ARPA (list price per month)", "{:,.2f}"),
              ("mrr", "MRR", "{:,.2f}"), ("new_customers", "new customers per month", "{:.2f}"),
              ("churn_rate", "churn rate per month", "{:.2%}"), ("cancellations", "cancellations in the window", "{:,}"),
              ("new_subscriptions", "paid subscriptions started in the window", "{:,}"),
              ("window_start", "window from", "{}"), ("window_end", "window to (exclusive)", "{}")]
    rows = [(label, fmt.format(baseline[key])) for key, label, fmt in labels if key in baseline]
    return pd.DataFrame(rows, columns=["measure", "value"]).astype("string")


def has_revenue(baseline: Mapping) -> bool:
    """Return whether the baseline has anything to simulate: MRR now, or paying customers to come."""
    return baseline.get("mrr", 0) > 0 or (baseline.get("new_customers", 0) > 0 and baseline.get("arpa", 0) > 0)


# --- ROI and progress ---------------------------------------------------------------------


def roi_table(baseline: Mapping, horizon_months: int = 12,
              category_scores: pd.DataFrame | Mapping[str, float] | None = None) -> pd.DataFrame:
    """Return each lever's ROI multiple over the horizon: lever, metric, roi_low, roi_expected, roi_high.

    ROI = (incremental revenue - cost) / cost on the selection's baseline (see
    `bi_workbench.domain.levers.roi_estimates`), best expected first, then by
    lever. A baseline without revenue gives an empty frame. Example: a
    referral programme returning 1.5 times its cost -> roi_expected 1.5.
    """
    if not has_revenue(baseline):
        return _empty(ROI_COLUMNS, {"lever": "string", "metric": "string"})
    base = {key: float(baseline[key]) for key in ("arpa", "new_customers", "churn_rate", "expansion_rate")}
    base["customers"] = float(baseline["customers"])
    table = rice_table(None, _scores_mapping(category_scores))
    estimates = roi_estimates(table, base, int(horizon_months))
    rows = [(lever, table.loc[lever, "metric"], r["low"], r["expected"], r["high"]) for lever, r in estimates.items()]
    frame = pd.DataFrame(rows, columns=ROI_COLUMNS).astype({"lever": "string", "metric": "string"})
    frame = frame.sort_values(["roi_expected", "lever"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return frame.round({"roi_low": 3, "roi_expected": 3, "roi_high": 3})


def progress_by_lever(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return the selection's growth_progress milestones rolled up per catalogue lever, sorted by lever.

    Columns: lever, milestones, mean_progress (0-100), completed, in_progress,
    not_started, overdue, completion_rate (see
    `bi_workbench.domain.levers.progress_rollup`). A milestone belongs to the
    lever of its plan that its text names ("Launch a pilot of referral
    program"), else to the plan's only lever, else to ``unattributed``. Overdue
    means not completed 90 days after creation, as of the end of the selection.
    Example: two referral milestones, one completed ->
    the row ("referral_program", 2, 50.0, 1, 0, 1, 0, 0.5).
    """
    milestones = metrics.selected_rows("growth_progress", bounds).subquery("milestones")
    plan = t.growth_levers
    named = sa.func.unnest(plan.c.levers).table_valued("lever").render_derived(name="named")
    mentioned = (sa.select(named.c.lever).where(sa.func.strpos(sa.func.lower(milestones.c.milestone),
                                                               sa.func.replace(sa.func.lower(named.c.lever), "_", " ")) > 0)
                 .order_by(named.c.lever).limit(1).scalar_subquery())
    lever = sa.func.coalesce(mentioned, sa.case((sa.func.cardinality(plan.c.levers) == 1, plan.c.levers[1])),
                             "unattributed")
    frame = run(conn, sa.select(lever, milestones.c.status, milestones.c.progress_percentage, milestones.c.created_at)
                .select_from(milestones.outerjoin(plan, plan.c.id == milestones.c.lever_id)),
                ["lever", "status", "progress_percentage", "created_at"])
    if frame.empty:
        return _empty(PROGRESS_COLUMNS, {"lever": "string", "mean_progress": "float64", "completion_rate": "float64"})
    frame["progress_percentage"] = pd.to_numeric(frame["progress_percentage"], errors="coerce").astype(float)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    rolled = progress_rollup(frame, by="lever", as_of=bounds.end).reset_index()
    rolled["lever"] = rolled["lever"].astype("string")
    rolled = rolled.sort_values("lever", kind="stable").reset_index(drop=True)
    counts = ["milestones", "completed", "in_progress", "not_started", "overdue"]
    rolled[counts] = rolled[counts].astype("int64")
    return rolled[PROGRESS_COLUMNS].round({"mean_progress": 2, "completion_rate": 4})


# --- simulation -------------------------------------------------------------------------------


def simulation_inputs(baseline: Mapping, horizon_months: int, paths: int, levers: Sequence[str] = (),
                      target_growth: float = TARGET_GROWTH) -> dict:
    """Return the inputs of `bi_workbench.domain.simulate` for a baseline: a dict.

    Starting customers, ARPA, new customers per month (Poisson mean), churn and
    expansion come from the baseline; the target is ``target_growth`` x the
    starting MRR (None without MRR). Example: ``simulation_inputs(b, 12, 2000)``
    -> ``{"months": 12, "starting_customers": 184, "arpa": 152.3, ..., "target_mrr": 35030.0, "paths": 2000}``.
    """
    mrr = float(baseline["mrr"])
    return {"months": int(horizon_months), "starting_customers": int(baseline["customers"]),
            "arpa": float(baseline["arpa"]), "acquisition_mean": float(baseline["new_customers"]),
            "churn_rate": float(baseline["churn_rate"]), "expansion_rate": float(baseline["expansion_rate"]),
            "levers": list(levers), "target_mrr": round(mrr * float(target_growth), 2) if mrr > 0 else None,
            "paths": int(paths)}


def band_table(result: SimulationResult, rows: int = BAND_ROWS) -> pd.DataFrame:
    """Return the MRR percentile bands of a simulation at up to ``rows`` evenly spaced months (the last kept).

    Columns: month, p10, p50, p90, mean (rounded to cents). A simulation
    without any revenue gives an empty frame. Example: a 24-month run ->
    months 0, 2, 4, ..., 24.
    """
    bands = result.mrr
    if not np.any(bands.to_numpy()):
        return _empty(BAND_COLUMNS, {"month": "int64"})
    step = max(1, math.ceil((len(bands) - 1) / max(rows - 1, 1)))
    months = sorted(set(range(0, len(bands), step)) | {len(bands) - 1})
    frame = bands.loc[months].reset_index()
    frame["month"] = frame["month"].astype("int64")
    return frame[BAND_COLUMNS].round(2)


def target_summary(result: SimulationResult) -> pd.DataFrame:
    """Return one row on the simulation's target, or an empty frame when it has none.

    Columns: starting_mrr, target_mrr, horizon_months, probability_by_horizon
    (share of paths reaching the target in any month), probability_at_end (at
    or above it in the last month), final_mrr_p50. Example: a target of 25,000
    reached by 340 of 2,000 paths -> probability_by_horizon 0.17.
    """
    target = result.inputs.target_mrr
    if target is None:
        return _empty(TARGET_COLUMNS, {"horizon_months": "int64"})
    row = {"starting_mrr": round(float(result.mrr["p50"].iloc[0]), 2), "target_mrr": round(float(target), 2),
           "horizon_months": int(result.inputs.months),
           "probability_by_horizon": round(float(result.probability_of_target), 4),
           "probability_at_end": round(float(result.probability_target_at_end), 4),
           "final_mrr_p50": round(float(result.mrr["p50"].iloc[-1]), 2)}
    return pd.DataFrame([row], columns=TARGET_COLUMNS)


def describe_target(result: SimulationResult) -> str:
    """Return one sentence on the chance of reaching the simulation's target MRR (or why there is none)."""
    target = result.inputs.target_mrr
    if target is None:
        return "No target: the selection has no MRR to grow from."
    return (f"{result.probability_of_target:.1%} of {result.inputs.paths:,} simulated paths reach the target MRR of "
            f"{target:,.2f} within {result.inputs.months} months; {result.probability_target_at_end:.1%} are at or "
            f"above it in month {result.inputs.months}.")


def scenarios(inputs: Mapping, priorities: pd.DataFrame, top: int = TOP_LEVERS) -> dict[str, dict]:
    """Return the scenarios to compare: the baseline, each of the ``top`` levers alone, and all of them together.

    Levers are the first ``top`` rows of a `lever_priorities` frame (best RICE
    first). Names are "baseline", "+ <lever>" and "+ top N levers". Example:
    ``list(scenarios(inputs, lever_priorities(), 2))`` ->
    ``['baseline', '+ onboarding_improvement', '+ pricing_optimization', '+ top 2 levers']``.
    """
    chosen = [str(lever) for lever in priorities["lever"].head(int(top))]
    base = {**inputs, "levers": []}
    out = {"baseline": base}
    out |= {f"+ {lever}": {**base, "levers": [lever]} for lever in chosen}
    if len(chosen) > 1:
        out[f"+ top {len(chosen)} levers"] = {**base, "levers": chosen}
    return out


def scenario_table(compared: pd.DataFrame, scenario_inputs: Mapping[str, Mapping] | None = None) -> pd.DataFrame:
    """Return a `compare_scenarios` frame for reading: scenario, levers, final MRR P10/P50/P90, ...

    Columns: scenario, levers (comma-separated), final_mrr_p10, final_mrr_p50,
    final_mrr_p90, final_customers_p50, probability_of_target, p50_vs_baseline
    (relative change of the P50 final MRR against the first scenario), in the
    scenarios' order. No revenue in any scenario gives an empty frame.
    """
    if compared.empty or not np.any(compared[["final_mrr_p10", "final_mrr_p50", "final_mrr_p90"]].to_numpy()):
        return _empty(SCENARIO_COLUMNS, {"scenario": "string", "levers": "string"})
    frame = compared.reset_index()
    given = scenario_inputs or {}
    frame["levers"] = [", ".join(given.get(name, {}).get("levers", [])) for name in frame["scenario"]]
    first = float(frame["final_mrr_p50"].iloc[0])
    frame["p50_vs_baseline"] = frame["final_mrr_p50"] / first - 1 if first else math.nan
    frame = frame[SCENARIO_COLUMNS].astype({"scenario": "string", "levers": "string"})
    return frame.round({"final_mrr_p10": 2, "final_mrr_p50": 2, "final_mrr_p90": 2, "final_customers_p50": 1,
                        "probability_of_target": 4, "p50_vs_baseline": 4})


def tornado_table(table: pd.DataFrame) -> pd.DataFrame:
    """Return a `sensitivity` frame rounded for reading (largest swing first); empty when nothing moves MRR.

    Columns: parameter, low_value, high_value, p50_low, p50_high, base_p50, swing.
    """
    if table.empty or not np.any(table[["p50_low", "p50_high", "base_p50"]].to_numpy()):
        return _empty(TORNADO_COLUMNS, {"parameter": "string"})
    frame = table[TORNADO_COLUMNS].copy()
    frame["parameter"] = frame["parameter"].astype("string")
    frame = frame.sort_values(["swing", "parameter"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return frame.round({"low_value": 4, "high_value": 4, "p50_low": 2, "p50_high": 2, "base_p50": 2, "swing": 2})


# --- stored simulations -------------------------------------------------------------------


def stored_simulations(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return the simulations stored on the platform in the selection per status, sorted by status.

    Columns: status ('unknown' when blank), simulations, with_results (output_data
    has a numeric ``p50``), median_p50 and mean_probability_of_target of those
    results, first_created, last_created (UTC dates). Example: 157 completed runs ->
    the row ("completed", 157, 157, 61234.5, 0.31, 2023-10-17, 2026-06-27).
    """
    sims = metrics.selected_rows("simulation", bounds).subquery("sims")
    status = sa.func.coalesce(sa.func.nullif(sa.func.lower(sa.func.btrim(sims.c.status)), ""), "unknown")
    p50, target = (_json_number(sims.c.output_data, key) for key in ("p50", "probability_of_target"))
    day = [sa.cast(sa.func.timezone("UTC", f(sims.c.created_at)), sa.Date) for f in (sa.func.min, sa.func.max)]
    frame = run(conn, sa.select(status, sa.func.count(), sa.func.count(p50),
                                sa.func.percentile_cont(0.5).within_group(p50), sa.func.avg(target), *day)
                .group_by(status).order_by(status), STORED_COLUMNS)
    frame = frame.astype({"status": "string", "simulations": "int64", "with_results": "int64",
                          "median_p50": "float64", "mean_probability_of_target": "float64"})
    return frame.round({"median_p50": 2, "mean_probability_of_target": 4})


def _json_number(document, key: str):
    """The number at ``key`` of a JSON object column, NULL when it is not a number."""
    return sa.case((sa.func.jsonb_typeof(document[key]) == "number", sa.cast(document[key].astext, sa.Float)))


def stored_simulations_by_month(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return stored simulations per calendar month (UTC) and status: the metric ``simulations`` by status and month.

    Columns: month (date), complete (the month is over at the as_of bound), status ('unknown' when blank),
    simulations (int).
    """
    frame = metric_frame(conn, bounds, "simulations", by="status", grain="month")
    out = pd.DataFrame({"month": frame["period"].dt.date, "complete": frame["complete"].astype(bool),
                        "status": labelled(frame["status"]), "simulations": frame["simulations"]})
    return out[STORED_MONTH_COLUMNS].astype({"status": "string", "simulations": "int64"})


# --- helpers ----------------------------------------------------------------------------------


def _empty(columns: Sequence[str], dtypes: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Return an empty frame with ``columns`` (float64 unless ``dtypes`` says otherwise)."""
    dtypes = dtypes or {}
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "float64")) for c in columns})


def _ratio(part: int, whole: int) -> float:
    """Return part / whole, NaN when whole is 0."""
    return part / whole if whole else math.nan


def _as_date(value, name: str) -> dt.date:
    """Return ``value`` as a date (a datetime gives its UTC date); raise naming ``name``."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    parsed = _instant(value, name)
    return parsed.date()
