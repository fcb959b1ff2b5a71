"""`[reports]` of pipeline.toml: what the leadership summary puts first, how many movers it names,
and the language a report is made in when none is asked for."""

from __future__ import annotations

from dataclasses import dataclass

from contract.settings import Settings
from reports.text import LANGS

DEFAULT_HEADLINE = (
    "dvc.received",
    "dvc.online_rate",
    "dvc.on_time_rate",
    "dvc.avg_processing_days",
    "dvc.full_online_rate",
    "dvc.online_payment_rate",
    "dvc.digitised_rate",
    "dvc.e_result_rate",
    "dvc.satisfaction_rate",
    "eoffice.issued",
    "eoffice.signed_share",
    "eoffice.electronic_share",
    "population.eid_activations",
    "population.verify_success_rate",
    "telecom.availability",
    "index766.total",
)


@dataclass(frozen=True)
class ReportSettings:
    headline: tuple[str, ...] = DEFAULT_HEADLINE
    movers: int = 5
    language: str = "vi"


def report_settings(settings: Settings, known_kpis: set[str] | None, problems: list[str]) -> ReportSettings:
    """`known_kpis` None: the names were already checked (the composition root did at start)."""
    r = settings.reader(problems).table("reports")
    headline = r.get(
        "headline",
        list,
        list(DEFAULT_HEADLINE),
        lambda v: (
            len(v) > 0 and all(isinstance(k, str) and (known_kpis is None or k in known_kpis) for k in v)
        ),
        "a non-empty list of KPI names of the catalogue",
    )
    return ReportSettings(
        headline=tuple(headline),
        movers=r.get("movers", int, 5, lambda v: 1 <= v <= 20, "an integer 1..20"),
        language=r.get("language", str, "vi", lambda v: v in LANGS, f"one of {', '.join(LANGS)}"),
    )
