"""The ops screens' pure parts: translations complete and matching the configuration, the SQL's
parameter checks, the live message shapes, topic classification, alert acknowledgement."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import duckdb
import orjson
import pytest

from contract.periods import previous_period
from contract.settings import PROJECT_ROOT
from contract.topics import CONTRACT_NAMES as topics
from gateway.web import queries
from gateway.web.api import config_payload
from gateway.web.health import lag_by_source
from gateway.web.messages import alert_event, kpi_update, newest
from ioc.config import catalogue_kpis, load_config
from sinks.alerts import create_alerts
from sinks.query import acknowledge_alert

STATIC = PROJECT_ROOT / "gateway" / "web" / "static"
I18N = orjson.loads((STATIC / "i18n.json").read_bytes())
CONFIG = load_config()
SETTINGS = CONFIG.settings
VIETNAMESE = re.compile(r"[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]", re.I)


def test_both_languages_have_the_same_keys() -> None:
    assert set(I18N["vi"]) == set(I18N["en"])


def test_every_kpi_has_a_name_in_both_languages() -> None:
    kpis = catalogue_kpis(CONFIG.index766.rules if CONFIG.index766 else None)
    assert "index766.total" in kpis and any(k.startswith("dvc.") for k in kpis)
    for lang in ("vi", "en"):
        missing = [k for k in kpis if not I18N[lang].get(f"kpi.{k}")]
        assert not missing, f"{lang}: no label for {missing}"
    formats = orjson.loads((STATIC / "kpis.json").read_bytes())
    unformatted = [k for k in kpis if k not in formats and not any(
        f.endswith("*") and k.startswith(f[:-1]) for f in formats)]
    assert not unformatted


def test_group_names_are_those_of_the_766_rules() -> None:
    rules = tomllib.loads(
        (PROJECT_ROOT / "config" / "index766" / "portal-2025.toml").read_text(encoding="utf-8")
    )
    for group in rules["groups"]:
        assert I18N["vi"][f"kpi.index766.group.{group['code']}"] == group["name_vi"]
        assert I18N["en"][f"kpi.index766.group.{group['code']}"] == group["name_en"]


def test_vietnamese_has_its_diacritics_and_english_has_none() -> None:
    assert I18N["vi"]["kpi.dvc.on_time_rate"] == "Tỷ lệ giải quyết đúng hạn"
    assert sum(1 for v in I18N["vi"].values() if VIETNAMESE.search(v)) > 0.8 * len(I18N["vi"])
    assert [v for v in I18N["en"].values() if VIETNAMESE.search(v)] == []


def test_every_label_the_scripts_use_exists() -> None:
    used: set[str] = set()
    for js in (STATIC / "js").rglob("*.js"):
        used |= set(re.findall(r"\bt\('([a-z0-9_.]+)'", js.read_text(encoding="utf-8")))
    assert len(used) > 50
    assert sorted(k for k in used if k not in I18N["vi"]) == []


def test_no_asset_comes_from_elsewhere() -> None:
    """No CDN, no web font service: the wall works without internet."""
    for f in STATIC.rglob("*"):
        if f.suffix in (".html", ".css", ".js", ".json"):
            text = f.read_text(encoding="utf-8").replace(
                "http://www.w3.org/2000/svg", ""
            )  # a namespace, not a fetch
            assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text), f
    assert len(list((STATIC / "fonts").glob("*.woff2"))) >= 3 and (STATIC / "fonts" / "OFL.txt").exists()


def test_units_are_served_with_both_names_from_the_province_folder() -> None:
    payload = config_payload(SETTINGS, CONFIG.index766, CONFIG.topology.sources)
    units = {u["code"]: u for u in payload["units"]}
    assert units["12.SNV"] == {
        "code": "12.SNV",
        "level": "agency",
        "name_vi": "Sở Nội vụ",
        "name_en": "Department of Home Affairs",
    }
    assert units["03388"]["name_vi"] == "Đoàn Kết" and units["03388"]["level"] == "commune"
    assert sum(1 for u in units.values() if u["level"] == "commune") == 38
    assert [g["code"] for g in payload["index766"]["groups"]] == [
        "CKMB",
        "TDGQ",
        "CLGQ",
        "TTTT",
        "MDSH",
        "MDHL",
    ]


@pytest.mark.parametrize(
    "grain,period,previous",
    [
        ("month", "2026-01", "2025-12"),
        ("month", "2026-11", "2026-10"),
        ("quarter", "2026-Q1", "2025-Q4"),
        ("quarter", "2026-Q3", "2026-Q2"),
        ("year", "2026", "2025"),
    ],
)
def test_previous_period(grain: str, period: str, previous: str) -> None:
    assert previous_period(grain, period) == previous


@pytest.mark.parametrize(
    "grain,period",
    [
        ("month", "2026-11' OR 1=1 --"),
        ("day", "2026-11"),
        ("year", "26"),
        ("quarter", "2026-Q5"),
        ("week", "2026-W01"),
    ],
)
def test_periods_are_checked_before_they_reach_sql(grain: str, period: str) -> None:
    with pytest.raises(ValueError):
        queries.check_period(grain, period)


def test_quotes_are_escaped() -> None:
    assert queries.lit("Đoàn Kết's") == "'Đoàn Kết''s'"


def test_the_snapshot_query_runs() -> None:
    con = duckdb.connect()
    con.execute("""CREATE TABLE kpi_latest (kpi VARCHAR, unit VARCHAR, unit_level VARCHAR, grain VARCHAR,
                   period VARCHAR,
                   value DOUBLE, numerator DOUBLE, denominator DOUBLE, updated_at TIMESTAMPTZ)""")
    rows = [
        ("dvc.received", "12", "day", "2026-11-23", 5),
        ("dvc.received", "03388", "day", "2026-11-23", 2),
        ("dvc.received", "12", "day", "2026-11-22", 9),
        ("telecom.sites_out", "03388", "live", "live", 1),
        ("index766.total", "03388", "month", "2026-11", 61.5),
        ("index766.component.ON_TIME", "03388", "month", "2026-11", 20),
    ]
    for kpi, unit, grain, period, value in rows:
        con.execute(
            "INSERT INTO kpi_latest VALUES (?, ?, 'x', ?, ?, ?, NULL, NULL, now())",
            [kpi, unit, grain, period, value],
        )
    current = {"day": "2026-11-23", "month": "2026-11", "quarter": "2026-Q4", "year": "2026"}
    got = {(r[0], r[1], r[3]) for r in con.execute(queries.snapshot("12", current)).fetchall()}
    assert got == {
        ("dvc.received", "12", "2026-11-23"),
        ("telecom.sites_out", "03388", "live"),
        ("index766.total", "03388", "2026-11"),
    }


def test_kpi_updates_for_the_screens() -> None:
    value = orjson.dumps(
        {
            "kpi": "index766.total",
            "unit": "03388",
            "unit_level": "commune",
            "grain": "month",
            "period": "2026-11",
            "value": 61.5,
            "numerator": None,
            "denominator": None,
            "updated_at": "2026-11-23T01:00:00+00:00",
            "detail": {"band": "trung_binh", "components": []},
        }
    )
    update = kpi_update(b"index766.total|03388|month|2026-11", value, 0)
    assert update == {
        "kpi": "index766.total",
        "unit": "03388",
        "grain": "month",
        "period": "2026-11",
        "value": 61.5,
        "num": None,
        "den": None,
        "t": 1795395600000,
        "band": "trung_binh",
    }
    assert kpi_update(b"index766.component.ON_TIME|03388|month|2026-11", value, 0) is None
    tombstone = kpi_update(b"dvc.received|03388|day|2026-11-20", None, 42)
    assert tombstone == {
        "kpi": "dvc.received",
        "unit": "03388",
        "grain": "day",
        "period": "2026-11-20",
        "retracted": True,
        "t": 42,
    }


def test_the_newest_value_of_each_key_wins() -> None:
    a = {"kpi": "k", "unit": "u", "grain": "day", "period": "p", "value": 1, "t": 10}
    b = {**a, "value": 2, "t": 20}
    gone = {**a, "retracted": True, "t": 30}
    assert newest([a, b]) == [b] and newest([b, a]) == [b]
    assert newest([a, b, gone]) == []


def test_alert_events_for_the_feed() -> None:
    event = alert_event(
        orjson.dumps(
            {
                "rule": "commune_cut_off",
                "subject": "03451",
                "state": "raised",
                "alert_id": "ab" * 16,
                "at": "2026-11-23T01:00:00+00:00",
                "severity": "critical",
                "message_vi": "Xã Mù Cả mất liên lạc",
                "message_en": "Mù Cả is cut off",
            }
        )
    )
    assert (
        event["at"] == 1795395600000
        and event["message_vi"] == "Xã Mù Cả mất liên lạc"
        and event["state"] == "raised"
    )


def test_topics_are_classified_from_the_catalogue() -> None:
    topology = CONFIG.topology
    assert topology.topic_kind(topics.raw("dvc")) == ("raw", "dvc")
    assert topology.topic_kind(topics.dead_letters("telecom")) == ("dlq", "telecom")
    assert topology.topic_kind(topics.kpi("index766")) == ("kpi", "index766")
    assert lag_by_source(
        topology, {topics.raw("dvc"): 3, topics.partials("dvc"): 2, topics.kpi("dvc"): 4}
    ) == {"dvc": 5, "kpi": 4}


def test_the_first_acknowledgement_stands(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "a.duckdb"))
    create_alerts(con)
    con.execute(
        "INSERT INTO alerts (alert_id, rule, subject, raised_at) "
        "VALUES ('a1', 'commune_cut_off', '03451', now())"
    )
    first = acknowledge_alert(con, "a1", "Nguyễn Thị Hoa")
    assert first is not None and first["acknowledged_by"] == "Nguyễn Thị Hoa" and first["acknowledged_at"] > 0
    again = acknowledge_alert(con, "a1", "Someone else")
    assert again == first
    assert acknowledge_alert(con, "nope", "x") is None
