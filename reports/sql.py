"""What a report reads from DuckDB, as SQL text for the sink's read-only service (one statement, no
parameters: every value put in is checked first, see ReportSpec, then quoted).

Cut-off episodes come from `kpi_history` of the live KPI `telecom.commune_cut_off` (its changes,
0 -> 1 -> 0), not from the `alerts` table: the KPI's own change log holds every episode whatever
the alert rules say (a rule with `for_s`, another threshold, or none at all), and it is what the
overview screen's cut-off trend reads too. The alerts of that KPI only add who acknowledged them.
Both carry the time the pipeline recorded the change (a live KPI has no event time).
"""

from __future__ import annotations

from reports.spec import ReportSpec

CUT_OFF_KPI = "telecom.commune_cut_off"


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _periods(spec: ReportSpec) -> str:
    return f"grain = {lit(spec.grain)} AND period IN ({lit(spec.period)}, {lit(spec.previous)})"


def _unit(spec: ReportSpec, column: str = "unit") -> str:
    return f" AND {column} = {lit(spec.unit)}" if spec.unit is not None else ""


def kpis(spec: ReportSpec) -> str:
    """Every unit's KPIs of the period and the one before (the ranking needs every unit)."""
    return f"""SELECT kpi, unit, unit_level, period, value, numerator, denominator FROM kpi_latest
        WHERE {_periods(spec)} AND kpi NOT LIKE 'index766.component.%'"""


def scores(spec: ReportSpec) -> str:
    return f"""SELECT unit, unit_level, period, version, total, band, band_confirmed FROM index766_scores
        WHERE {_periods(spec)}"""


def components(spec: ReportSpec) -> str:
    return f"""SELECT unit, period, group_code, component, kpi, ratio, points, max_points, lost, basis
        FROM index766_components WHERE {_periods(spec)}"""


def official(spec: ReportSpec) -> str:
    """The portal's latest official figures of both periods (the view index766_official)."""
    return f"""SELECT unit, period, group_code, component, points, epoch_ms(received_at) AS received
        FROM index766_official WHERE {_periods(spec)}"""


def late_dossiers(spec: ReportSpec) -> str:
    """Dossiers finished late in the period (what dvc.on_time_rate counted late), worst first."""
    return f"""SELECT unit, dossier, procedure, epoch_ms(received_at) AS received_at,
               epoch_ms(due_at) AS due_at, epoch_ms(end_at) AS end_at, supplement_days, supplement_requests,
               epoch(end_at - due_at) / 86400.0 - coalesce(supplement_days, 0) AS late_days
        FROM late_dossiers
        WHERE epoch_ms(finished_at) >= {spec.start_ms} AND epoch_ms(finished_at) < {spec.end_ms}{_unit(spec)}
        ORDER BY unit, late_days DESC NULLS LAST, dossier"""


def overdue_dossiers(spec: ReportSpec) -> str:
    """Open past their due time now (not per period)."""
    where = f"WHERE true{_unit(spec)}"
    return f"""SELECT unit, dossier, procedure, status, epoch_ms(received_at) AS received_at,
               epoch_ms(due_at) AS due_at
        FROM overdue_dossiers {where} ORDER BY unit, due_at, dossier"""


def cut_off_changes(spec: ReportSpec) -> str:
    """Each commune's state when the period began (its last change before), its changes in it, and
    its first change after it (where an episode running past the period's end ended)."""
    base = f"kpi = {lit(CUT_OFF_KPI)} AND grain = 'live' AND NOT retracted{_unit(spec)}"
    return f"""SELECT unit, epoch_ms(updated_at) AS changed_at, value FROM kpi_history
            WHERE {base} AND epoch_ms(updated_at) >= {spec.start_ms} AND epoch_ms(updated_at) < {spec.end_ms}
        UNION ALL
        SELECT unit, max(epoch_ms(updated_at)) AS changed_at, arg_max(value, updated_at) AS value
            FROM kpi_history
            WHERE {base} AND epoch_ms(updated_at) < {spec.start_ms} GROUP BY unit
        UNION ALL
        SELECT unit, min(epoch_ms(updated_at)) AS changed_at, arg_min(value, updated_at) AS value
            FROM kpi_history
            WHERE {base} AND epoch_ms(updated_at) >= {spec.end_ms} GROUP BY unit
        ORDER BY unit, changed_at"""


def cut_off_alerts(spec: ReportSpec) -> str:
    return f"""SELECT subject AS unit, epoch_ms(raised_at) AS raised_at, epoch_ms(cleared_at) AS cleared_at,
               acknowledged_by
        FROM alerts WHERE kpi = {lit(CUT_OFF_KPI)}{_unit(spec, "subject")}
          AND epoch_ms(raised_at) < {spec.end_ms}
          AND (cleared_at IS NULL OR epoch_ms(cleared_at) >= {spec.start_ms})
        ORDER BY subject, raised_at"""


def queries(spec: ReportSpec) -> dict[str, str]:
    """Every statement a report needs, by name (assemble() takes their rows by the same names)."""
    return {
        "kpis": kpis(spec),
        "scores": scores(spec),
        "components": components(spec),
        "official": official(spec),
        "late": late_dossiers(spec),
        "overdue": overdue_dossiers(spec),
        "cut_off": cut_off_changes(spec),
        "cut_off_alerts": cut_off_alerts(spec),
    }
