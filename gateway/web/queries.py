"""The SQL behind the screens' history (read through the sink's read-only SQL service).

The service takes one statement without parameters, so every value put into a statement is
first checked against a closed set (unit codes of the configuration, grains) or a strict
pattern (periods), and then quoted.
"""
from __future__ import annotations

from contract.periods import GRAINS, LIVE, check_period
from sinks.schema import archive_view

LIST_LIMIT = 500          # rows of one unit's worklist: a screen, not an export


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def snapshot(province: str, current: dict[str, str]) -> str:
    """The latest value of what the screens show live: the province's KPIs of the current periods,
    every unit's live KPIs (commune board, worklist) and the current 766 totals and groups."""
    periods = " OR ".join(f"(grain = {lit(g)} AND period = {lit(check_period(g, p))})"
                          for g, p in current.items() if g in GRAINS)
    return f"""SELECT kpi, unit, grain, period, value, numerator, denominator, epoch_ms(updated_at) AS t
        FROM kpi_latest
        WHERE grain = {lit(LIVE)}
           OR (({periods}) AND (unit = {lit(province)}
               OR kpi = 'index766.total' OR kpi LIKE 'index766.group.%'))"""


def trend_days(province: str, since_day: str) -> str:
    """Daily values of the province since a day: the overview's sparklines."""
    return f"""SELECT kpi, period, value FROM kpi_latest
        WHERE unit = {lit(province)} AND grain = 'day' AND period >= {lit(check_period('day', since_day))}
        ORDER BY kpi, period"""


def trend_months(province: str, since_month: str) -> str:
    return f"""SELECT kpi, period, value FROM kpi_latest
        WHERE unit = {lit(province)} AND grain = 'month'
          AND period >= {lit(check_period("month", since_month))}
        ORDER BY kpi, period"""


def trend_live(province: str, hours: int = 24, bucket_minutes: int = 15) -> str:
    """Live KPIs of the province over the last hours from kpi_history (changes only), one point
    per quarter hour (the last value in it), so a busy day stays ~100 points per KPI."""
    return f"""SELECT kpi, epoch_ms(time_bucket(INTERVAL {int(bucket_minutes)} MINUTE, updated_at)) AS t,
               arg_max(value, updated_at) AS value
        FROM kpi_history
        WHERE unit = {lit(province)} AND grain = 'live' AND NOT retracted
          AND updated_at >= now() - INTERVAL {int(hours)} HOUR
        GROUP BY ALL ORDER BY kpi, t"""


def trend_cut_off(hours: int = 24, bucket_minutes: int = 15) -> str:
    """How many communes were cut off over the last hours: each commune's changes, summed."""
    return f"""WITH changes AS (
            SELECT updated_at,
                   value - coalesce(lag(value) OVER (PARTITION BY unit ORDER BY updated_at), 0) AS d
            FROM kpi_history WHERE kpi = 'telecom.commune_cut_off' AND grain = 'live' AND NOT retracted),
        running AS (SELECT updated_at, sum(d) OVER (ORDER BY updated_at ROWS UNBOUNDED PRECEDING) AS n
                    FROM changes)
        SELECT epoch_ms(time_bucket(INTERVAL {int(bucket_minutes)} MINUTE, updated_at)) AS t,
               arg_max(n, updated_at) AS value
        FROM running WHERE updated_at >= now() - INTERVAL {int(hours)} HOUR GROUP BY ALL ORDER BY t"""


def ranking_scores(grain: str, periods: list[str]) -> str:
    plist = ", ".join(lit(check_period(grain, p)) for p in periods)
    return f"""SELECT unit, unit_level, period, total, band, band_confirmed, epoch_ms(updated_at) AS t
        FROM index766_scores WHERE grain = {lit(grain)} AND period IN ({plist})"""


def ranking_groups(grain: str, periods: list[str]) -> str:
    plist = ", ".join(lit(check_period(grain, p)) for p in periods)
    return f"""SELECT unit, period, kpi, value, epoch_ms(updated_at) AS t FROM kpi_latest
        WHERE grain = {lit(grain)} AND period IN ({plist}) AND kpi LIKE 'index766.group.%'"""


def ranking_components(grain: str, period: str) -> str:
    return f"""SELECT unit, period, component, points, basis FROM index766_components
        WHERE grain = {lit(grain)} AND period = {lit(check_period(grain, period))}"""


def official_figures(grain: str, period: str) -> str:
    """The latest official figures of a period (the view index766_official)."""
    return f"""SELECT unit, period, group_code, component, points, epoch_ms(received_at) AS received
        FROM index766_official WHERE period = {lit(check_period(grain, period))}"""


def commune_sites() -> str:
    """Known and out-of-service sites per commune (the board's denominators)."""
    return """SELECT commune, count(*) FILTER (WHERE known) AS known,
               count(*) FILTER (WHERE known AND out) AS out
        FROM telecom_sites GROUP BY commune"""


def sites_out(commune: str | None = None) -> str:
    where = f"WHERE commune = {lit(commune)}" if commune is not None else ""
    return f"""SELECT commune, site_id, operator, epoch_ms(out_since) AS out_since FROM sites_out {where}
        ORDER BY commune, out_since"""


def late_months() -> str:
    return "SELECT DISTINCT month FROM late_dossiers WHERE month IS NOT NULL ORDER BY month DESC LIMIT 12"


def worklist_counts(month: str) -> str:
    """Per unit: dossiers finished late in the month, and dossiers open past due now."""
    m = lit(check_period("month", month))
    return f"""SELECT unit, sum(late) AS late, sum(overdue) AS overdue FROM (
            SELECT unit, 1 AS late, 0 AS overdue FROM late_dossiers WHERE month = {m}
            UNION ALL SELECT unit, 0, 1 FROM overdue_dossiers) GROUP BY unit"""


def late_dossiers(unit: str, month: str) -> str:
    """Worst first: how far past the due time, after the supplement waits are taken off."""
    return f"""SELECT dossier, procedure, epoch_ms(received_at) AS received_at, epoch_ms(due_at) AS due_at,
               epoch_ms(end_at) AS end_at, supplement_days, supplement_requests,
               epoch(end_at - due_at) / 86400.0 - coalesce(supplement_days, 0) AS late_days
        FROM late_dossiers WHERE unit = {lit(unit)} AND month = {lit(check_period("month", month))}
        ORDER BY late_days DESC NULLS LAST, dossier LIMIT {LIST_LIMIT}"""


def overdue_dossiers(unit: str) -> str:
    return f"""SELECT dossier, procedure, status, epoch_ms(received_at) AS received_at,
               epoch_ms(due_at) AS due_at
        FROM overdue_dossiers WHERE unit = {lit(unit)} ORDER BY due_at, dossier LIMIT {LIST_LIMIT}"""


def alerts(limit: int = 300) -> str:
    """Open alerts first, then the most recent ones."""
    return f"""SELECT alert_id, rule, subject, unit_level, severity, threshold, raised_value,
               epoch_ms(raised_at) AS raised_at, cleared_value, epoch_ms(cleared_at) AS cleared_at,
               message_vi, message_en, epoch_ms(acknowledged_at) AS acknowledged_at, acknowledged_by
        FROM alerts ORDER BY cleared_at IS NOT NULL, raised_at DESC LIMIT {int(limit)}"""


def archive_counts(sources: list[str]) -> str:
    """Records in DuckDB per source (all time, unlike the gateway's counters since start)."""
    return " UNION ALL ".join(
        f"SELECT {lit(s)} AS source, count(*) AS n FROM {archive_view(s)}" for s in sources
    )


def dead_letter_counts() -> str:
    """Per source and reason, all time; `unknown_unit:<code>` counted by category (as in /metrics)."""
    return """SELECT source,
               CASE WHEN reason LIKE 'unknown_unit:%' THEN 'unknown_unit' ELSE reason END AS reason,
               count(*) AS n FROM dead_letters GROUP BY ALL ORDER BY n DESC"""
