"""The ops screens in headless Chromium against the real pipeline: live values, a commune cut off
and cleared, alert acknowledgement, both languages on every screen, wall and laptop sizes.

Waits are generous (the machine is shared); nothing asserts how long anything took.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest

from contract.settings import PROJECT_ROOT, load_settings
from ioc.client import call
from tests.browser.conftest import LAPTOP, OFFICIAL_GROUPS, SCREENS, WALL, go_to, open_screen, screenshot
from tests.datasets import alarm
from tests.dvc_dataset import rec
from tests.harness import Pipeline

pytestmark = pytest.mark.integration
LIVE_TIMEOUT_MS = 60_000
I18N = orjson.loads((PROJECT_ROOT / "gateway" / "web" / "static" / "i18n.json").read_bytes())
SETTINGS = load_settings()
UNITS = SETTINGS.units.units
TZ = SETTINGS.units.timezone

# Every visible text node (and the document title), as the reader sees it.
VISIBLE_TEXT = """() => {
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.trim();
    const el = n.parentElement;
    if (!text || !el || el.closest('svg')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none' || !el.getClientRects().length) continue;
    out.push(text);
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
    for (const a of ['placeholder', 'aria-label', 'title']) {
      if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
  }
  return out;
}"""

# Elements that scroll sideways (the page itself, or any scrolling box in it).
SIDEWAYS = """() => {
  const out = [];
  const page = document.documentElement.scrollWidth;
  if (page > innerWidth) out.push(['page', page]);
  for (const e of document.querySelectorAll('*')) {
    const x = getComputedStyle(e).overflowX;
    if ((x === 'auto' || x === 'scroll') && e.scrollWidth > e.clientWidth + 1) {
      out.push([e.className, e.scrollWidth, e.clientWidth]);
    }
  }
  return out;
}"""


def fmt(x: float, decimals: int, lang: str) -> str:
    """The screens' number format: 1.234,5 in Vietnamese, 1,234.5 in English."""
    text = f"{x:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".") if lang == "vi" else text


def local_now() -> datetime:
    return datetime.now(TZ)


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def text_of(pg: Any, selector: str) -> str:
    return pg.locator(selector).first.inner_text()


def wait_text(pg: Any, selector: str, expected: str, timeout_ms: int = LIVE_TIMEOUT_MS) -> None:
    pg.wait_for_function(
        "([sel, want]) => { const e = document.querySelector(sel); "
        "return e && e.textContent.trim() === want; }",
        arg=[selector, expected],
        timeout=timeout_ms,
    )


def province_row(p: Pipeline, kpi: str, grain: str, period: str) -> float | None:
    rows = p.sql(
        f"SELECT value FROM kpi_latest WHERE kpi = '{kpi}' AND unit = '{SETTINGS.units.province.code}' "
        f"AND grain = '{grain}' AND period = '{period}'"
    )
    return rows[0]["value"] if rows else None


def province_value(p: Pipeline, kpi: str, grain: str, period: str) -> float:
    return province_row(p, kpi, grain, period) or 0


def shown(value: float | None) -> str:
    """A card's value as the screen shows it ("—": no row yet, e.g. just after local midnight)."""
    return "—" if value is None else fmt(value, 0, "vi")


# -- a commune cut off: every known site of it out of service -----------------------------------
def quiet_commune(p: Pipeline, exclude: set[str]) -> tuple[str, list[dict[str, Any]]]:
    """A commune with known sites, none of them out, and no open alert."""
    rows = p.sql(
        "SELECT commune, site_id, operator, out FROM telecom_sites WHERE known ORDER BY commune, site_id"
    )
    open_alerts = {r["subject"] for r in p.sql("SELECT subject FROM alerts WHERE cleared_at IS NULL")}
    by: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["commune"], []).append(r)
    for commune, sites in sorted(by.items()):
        if commune not in exclude and commune not in open_alerts and not any(s["out"] for s in sites):
            return commune, sites
    raise AssertionError("no quiet commune in the data set")


def set_alarms(p: Pipeline, tag: str, sites: list[dict[str, Any]], state: str) -> None:
    at = iso(local_now())
    body = [
        alarm(
            f"{tag}-{s['site_id']}", s["site_id"], "site_down", "critical", state, at, operator=s["operator"]
        )
        for s in sites
    ]
    code, answer = p.ingest("telecom", body)
    assert code == 200 and answer["accepted"] == len(body), answer


@pytest.fixture
def cut_off(pipeline: Pipeline) -> Iterator[Any]:
    """cut_off() cuts a quiet commune off and returns it with its sites; cleared again at the end."""
    done: list[tuple[str, str, list[dict[str, Any]]]] = []

    def cut() -> tuple[str, list[dict[str, Any]]]:
        commune, sites = quiet_commune(pipeline, {c for c, _, _ in done})
        tag = f"screens-{commune}-{int(time.time())}"
        set_alarms(pipeline, tag, sites, "raised")
        done.append((commune, tag, sites))
        return commune, sites

    yield cut
    for _, tag, sites in done:
        set_alarms(pipeline, tag, sites, "cleared")


# -- tests --------------------------------------------------------------------------------------
def test_an_ingested_record_shows_up_live(page: Any, pipeline: Pipeline) -> None:
    """A new dossier appears in today's and this month's counts over the live feed: no reload and
    no request to the screens' history API while it does (values are pushed, not polled)."""
    now = local_now()
    day, month = now.strftime("%Y-%m-%d"), now.strftime("%Y-%m")
    pipeline.wait_idle()
    today = province_row(pipeline, "dvc.received", "day", day)
    this_month = province_value(pipeline, "dvc.received", "month", month)
    open_screen(page, "overview")
    card = '[data-kpi="dvc.received"]'
    wait_text(page, f"{card} [data-role=value]", shown(today))
    wait_text(page, f"{card} [data-role=second]", f"Tháng này: {fmt(this_month, 0, 'vi')}")
    page.evaluate("window.__sameDocument = true")
    api_calls: list[str] = []
    page.on("request", lambda r: api_calls.append(r.url) if "/ops/api/" in r.url else None)

    unit = next(code for code, u in UNITS.items() if u.level == "commune")
    dossier = rec(
        f"SCREEN-{int(time.time() * 1000)}",
        unit,
        2,
        iso(now),
        iso(now - timedelta(minutes=1)),
        iso(now + timedelta(days=5)),
        channel=2,
    )
    code, answer = pipeline.ingest("dvc", [dossier])
    assert code == 200 and answer["accepted"] == 1, answer

    wait_text(page, f"{card} [data-role=value]", fmt((today or 0) + 1, 0, "vi"))
    wait_text(page, f"{card} [data-role=second]", f"Tháng này: {fmt(this_month + 1, 0, 'vi')}")
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    assert api_calls == [], f"live values came from polling: {api_calls}"


def test_a_commune_cut_off_appears_is_acknowledged_and_clears(page: Any, pipeline: Pipeline) -> None:
    commune, sites = quiet_commune(pipeline, set())
    name = UNITS[commune].name_vi
    open_screen(page, "communes")
    tile = f'[data-commune="{commune}"]'
    page.wait_for_selector(f'{tile}[data-state="normal"]')

    tag = f"screens-ack-{commune}-{int(time.time())}"
    set_alarms(pipeline, tag, sites, "raised")
    page.wait_for_selector(f'{tile}[data-state="cutoff"]', timeout=LIVE_TIMEOUT_MS)
    page.wait_for_function(
        "sel => document.querySelector(sel + ' .tile-since')", arg=tile, timeout=LIVE_TIMEOUT_MS
    )
    text = text_of(page, tile)
    assert name in text and "MẤT LIÊN LẠC" in text, text
    assert f"Trạm ngừng: {len(sites)}/{len(sites)}" in text, text
    assert re.search(r"Từ \d\d:\d\d \d\d/\d\d/\d{4}", text), text  # since when, dd/mm/yyyy
    brands = {"viettel": "Viettel", "vnpt": "VNPT", "mobifone": "MobiFone"}
    assert any(brands.get(s["operator"], s["operator"]) in text for s in sites), text
    # not by colour alone: an icon, a text label and a pattern
    look = page.evaluate(
        "sel => { const e = document.querySelector(sel); return {icon: !!e.querySelector('svg use'),"
        " pattern: getComputedStyle(e).backgroundImage}; }",
        tile,
    )
    assert look["icon"] and "gradient" in look["pattern"], look

    # the alert: raised on the feed, acknowledged by a click, stored in DuckDB
    page.click('a[data-screen="alerts"]')
    row = f'li[data-rule="commune_cut_off"][data-subject="{commune}"][data-state="open"]'
    page.wait_for_selector(row, timeout=LIVE_TIMEOUT_MS)
    assert name in text_of(page, row)
    page.fill("#operator", "Nguyễn Thị Hoa")
    page.click(f'{row} button[data-action="ack"]')
    page.wait_for_selector(f"{row} .acked", timeout=LIVE_TIMEOUT_MS)
    assert "Đã xác nhận: Nguyễn Thị Hoa" in text_of(page, f"{row} .acked")
    stored = pipeline.sql(
        f"SELECT acknowledged_by FROM alerts WHERE rule = 'commune_cut_off' "
        f"AND subject = '{commune}' AND cleared_at IS NULL"
    )
    assert stored == [{"acknowledged_by": "Nguyễn Thị Hoa"}]

    # cleared: the alert closes on the feed and the tile returns to normal
    set_alarms(pipeline, tag, sites, "cleared")
    page.wait_for_selector(
        f'li[data-rule="commune_cut_off"][data-subject="{commune}"][data-state="cleared"]',
        timeout=LIVE_TIMEOUT_MS,
    )
    page.click('a[data-screen="communes"]')
    page.wait_for_selector(f'{tile}[data-state="normal"]', timeout=LIVE_TIMEOUT_MS)
    assert "Bình thường" in text_of(page, tile)


def _assert_one_language(texts: list[str], lang: str, people: set[str]) -> None:
    other = "en" if lang == "vi" else "vi"
    foreign = {v for k, v in I18N[other].items() if v != I18N[lang][k] and "{" not in v and len(v) > 2}
    leaked = [t for t in texts if t in foreign]
    assert not leaked, f"{other} strings on the {lang} screen: {leaked}"
    if lang == "en":
        # Proper names (units from the configuration) keep their Vietnamese letters; nothing else may.
        names = sorted({u.name_en for u in UNITS.values()} | people, key=len, reverse=True)
        for t in texts:
            rest = t
            for n in names:
                rest = rest.replace(n, "")
            assert not re.search(r"[^\x00-\x7f–—·…×↑↓−◆]", rest), (
                f"Vietnamese text on the English screen: {t!r}"
            )
    else:
        english = re.compile(
            r"\b(the|of|and|since|today|month|rate|open|cleared|sites|records|dossiers)\b", re.I
        )
        leaked = [t for t in texts if english.search(t)]
        assert not leaked, f"English words on the Vietnamese screen: {leaked}"


def test_every_screen_in_both_languages(page: Any, pipeline: Pipeline, cut_off: Any) -> None:
    """Vietnamese by default, English by the toggle (remembered across a reload), every visible
    string in the chosen language, numbers and dates localised; a screenshot of each screen in
    each language for the README (with a commune cut off, so the board and the feed show one)."""
    commune, _ = cut_off()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    open_screen(page, "communes")
    page.wait_for_selector(f'[data-commune="{commune}"][data-state="cutoff"]', timeout=LIVE_TIMEOUT_MS)
    month = local_now().strftime("%Y-%m")
    received_month = province_value(pipeline, "dvc.received", "month", month)
    people = {
        r["acknowledged_by"]
        for r in pipeline.sql("SELECT DISTINCT acknowledged_by FROM alerts WHERE acknowledged_by IS NOT NULL")
    }
    for screen in SCREENS:
        go_to(page, screen)
        for lang in ("vi", "en"):
            page.click(f'.lang-btn[data-lang="{lang}"]')
            page.wait_for_function("l => document.documentElement.lang === l", arg=lang)
            page.wait_for_load_state("networkidle")
            page.wait_for_function("() => !document.querySelector('#screen').textContent.includes('…')")
            _assert_one_language(page.evaluate(VISIBLE_TEXT), lang, people)
            screenshot(page, f"{screen}-{lang}")
    # English stays after a reload; numbers and dates follow the language
    page.goto("/ops/#/overview")
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate("document.documentElement.lang") == "en"
    today = local_now().strftime("%d/%m/%Y")
    wait_text(
        page, '[data-kpi="dvc.received"] [data-role=second]', f"This month: {fmt(received_month, 0, 'en')}"
    )
    assert today in text_of(page, "#clock")
    page.click('.lang-btn[data-lang="vi"]')
    wait_text(
        page, '[data-kpi="dvc.received"] [data-role=second]', f"Tháng này: {fmt(received_month, 0, 'vi')}"
    )
    assert "Tổng quan" in text_of(page, "#nav")
    # no internet: everything came from the pipeline itself
    assert requests and all(u.startswith((pipeline.url, "data:")) for u in requests), [
        u for u in requests if not u.startswith(pipeline.url)
    ]


@pytest.mark.parametrize("size", [WALL, LAPTOP], ids=["1920x1080", "1366x768"])
def test_readable_on_a_wall_and_a_laptop(page: Any, size: dict[str, int]) -> None:
    """No sideways scrolling at either size; the shipped Vietnamese font is in use; the overview's
    figures are large enough to read from across the room on the wall."""
    page.set_viewport_size(size)
    open_screen(page, "overview")
    for screen in SCREENS:
        go_to(page, screen)
        wide = page.evaluate(SIDEWAYS)
        assert not wide, f"{screen} scrolls sideways at {size}: {wide}"
    go_to(page, "overview")
    assert page.evaluate("() => document.fonts.check('700 16px \"Be Vietnam Pro\"', 'Tỷ lệ đúng hạn')")
    assert page.evaluate(
        "() => [...document.fonts].some(f => f.family.includes('Be Vietnam Pro') && f.status === 'loaded')"
    )
    # read in one step, retried: the overview redraws its cards as figures arrive, and a card
    # detached between finding and measuring has no computed size (NaN)
    value_px, label_px = page.wait_for_function("""() => {
        const px = s => { const e = document.querySelector(s);
                          return e && e.isConnected ? parseFloat(getComputedStyle(e).fontSize) : NaN; };
        const sizes = [px('.card-value'), px('.card-title')];
        return sizes.every(Number.isFinite) ? sizes : null;
    }""").json_value()
    assert value_px >= (36 if size == WALL else 24) and label_px >= (15 if size == WALL else 11), (
        value_px,
        label_px,
    )


def _number(text: str) -> float:
    """A number as the Vietnamese screen writes it (1.234,5; −1,2; +3,4)."""
    return float(text.strip().replace(".", "").replace(",", ".").replace("−", "-").replace("+", ""))


def test_the_ranking_shows_the_official_score_and_the_difference(page: Any, pipeline: Pipeline) -> None:
    """The commune given official figures (conftest: every group) shows the official total and the
    estimate minus it, marked ◆ (its transparency group took the official points)."""
    month = local_now().strftime("%Y-%m")
    code, answer = call(f"{pipeline.url}/ops/api/ranking?grain=month&period={month}")
    assert code == 200, answer
    [(unit, got)] = [(u, o) for u, o in answer["official"].items() if o["official"] is not None]
    assert got["official"] == pytest.approx(sum(OFFICIAL_GROUPS.values()))
    assert got["groups"]["CKMB"]["estimate"] == OFFICIAL_GROUPS["CKMB"]   # no measured component
    open_screen(page, "ranking")
    row = f'table.ranking tr[data-unit="{unit}"]'
    page.wait_for_selector(f"{row} td.official.num")
    official = _number(text_of(page, f"{row} td.official"))
    estimate = _number(text_of(page, f"{row} td.total .num"))
    difference = _number(text_of(page, f"{row} td.difference"))
    assert official == pytest.approx(sum(OFFICIAL_GROUPS.values()), abs=0.05)
    assert difference == pytest.approx(estimate - got["official"], abs=0.11)   # both shown rounded
    assert text_of(page, f"{row} .official-mark") == "◆"
    ckmb = page.eval_on_selector(f"{row} td.group", "e => e.firstChild.textContent")   # CKMB, first
    assert _number(ckmb) == pytest.approx(OFFICIAL_GROUPS["CKMB"], abs=0.05)
    shown = page.eval_on_selector_all("table.ranking td.official", "es => es.map((e) => e.textContent)")
    assert len([t for t in shown if t.strip() != "—"]) == 1   # the other communes have none
