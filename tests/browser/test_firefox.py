"""The ops screens in Firefox: Debian's Firefox ESR, headless, driven over WebDriver BiDi by
tests/browser/firefox.py (Playwright only drives its own patched Firefox build, which cannot be
downloaded here), against the same seeded pipeline as the Chromium tests.

Every screen in both languages (the headings, the navigation, every visible string in the chosen
language), the language toggle remembered across a reload, a record ingested showing up live, a
commune cut off acknowledged by a typed name and a click and cleared again, no sideways scrolling
and the shipped font at the wall's and a laptop's size, and no JavaScript error, console.error or
failed request on the way (collected from Firefox's own log and network events, page load
included). Screenshots go beside Chromium's, named <screen>-firefox-<lang>.png.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from tests.browser.conftest import LAPTOP, SCREENS, SCREENSHOTS, WALL
from tests.browser.firefox import Firefox, Tab, find_firefox
from tests.browser.test_screens import (
    I18N,
    SETTINGS,
    SIDEWAYS,
    UNITS,
    VISIBLE_TEXT,
    _assert_one_language,
    fmt,
    iso,
    local_now,
    province_row,
    province_value,
    quiet_commune,
    set_alarms,
    shown,
)
from tests.dvc_dataset import rec
from tests.harness import Pipeline

FIREFOX = find_firefox()
NO_FIREFOX = ("no Firefox: neither firefox-esr nor firefox on the PATH (nor $IOC_FIREFOX); "
              "`apt-get install firefox-esr` installs Debian's")
pytestmark = [pytest.mark.integration, pytest.mark.skipif(FIREFOX is None, reason=NO_FIREFOX)]
LIVE_TIMEOUT_S = 60
HEADING = {"overview": "overview.title", "ranking": "ranking.title", "communes": "board.title",
           "worklist": "worklist.title", "alerts": "alerts.title", "health": "health.title"}


def heading(screen: str, lang: str) -> str:
    province = UNITS[SETTINGS.units.province.code]
    return I18N[lang][HEADING[screen]].replace(
        "{name}", province.name_vi if lang == "vi" else province.name_en
    )


@pytest.fixture(scope="module")
def firefox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Firefox]:
    assert FIREFOX is not None
    browser = Firefox(FIREFOX, tmp_path_factory.mktemp("firefox"))
    try:
        browser.start()
        yield browser
    finally:
        browser.close()


@contextmanager
def new_tab(firefox: Firefox, pipeline: Pipeline, size: dict[str, int]) -> Iterator[Tab]:
    """A fresh tab in its own user context; afterwards, no error may have been reported in it."""
    tab = firefox.tab(pipeline.url, size["width"], size["height"])
    try:
        yield tab
        errors = tab.errors()
    finally:
        tab.close()
    assert not errors, f"the page reported errors in {firefox.version}: {errors}"


@pytest.fixture
def tab(firefox: Firefox, pipeline: Pipeline) -> Iterator[Tab]:
    """A fresh, isolated tab (nothing remembered) on the wall's resolution."""
    with new_tab(firefox, pipeline, WALL) as t:
        yield t


def open_screen(tab: Tab, screen: str) -> None:
    tab.goto(f"/ops/#/{screen}")
    tab.wait_selector("body[data-ready=true]")
    tab.wait_selector(".conn-live", timeout_s=LIVE_TIMEOUT_S)


def show(tab: Tab, screen: str, lang: str) -> None:
    """Wait until `screen` has its heading in `lang` and nothing on it is still loading."""
    tab.wait_for("l => document.documentElement.lang === l", lang, what=f"lang={lang}")
    tab.wait_text("#screen h1", heading(screen, lang))
    tab.wait_for(
        "() => !document.querySelector('#screen').textContent.includes('…')", what=f"{screen} to load"
    )


def screenshot(tab: Tab, name: str) -> None:
    if not os.environ.get("IOC_NO_SCREENSHOTS"):
        tab.screenshot(SCREENSHOTS / f"{name}.png")


def test_every_screen_in_both_languages_in_firefox(tab: Tab, pipeline: Pipeline) -> None:
    """Vietnamese by default; each screen's heading and the navigation in the chosen language,
    every visible string in it; English by the toggle, remembered across a reload; numbers follow
    the language; nothing fetched from anywhere but the pipeline."""
    open_screen(tab, "overview")
    assert tab.evaluate("() => document.documentElement.lang") == "vi"
    month = local_now().strftime("%Y-%m")
    received_month = province_value(pipeline, "dvc.received", "month", month)
    people = {
        r["acknowledged_by"]
        for r in pipeline.sql("SELECT DISTINCT acknowledged_by FROM alerts WHERE acknowledged_by IS NOT NULL")
    }
    for screen in SCREENS:
        tab.click(f'a[data-screen="{screen}"]')
        for lang in ("vi", "en"):
            tab.click(f'.lang-btn[data-lang="{lang}"]')
            show(tab, screen, lang)
            nav = tab.evaluate(
                "() => [...document.querySelectorAll('#nav a')].map(a => a.firstChild.textContent)"
            )
            assert nav == [I18N[lang][f"nav.{s}"] for s in SCREENS], nav
            assert tab.evaluate("() => location.hash") == f"#/{screen}"
            _assert_one_language(tab.evaluate(VISIBLE_TEXT), lang, people)
            screenshot(tab, f"{screen}-firefox-{lang}")
    # English stays after a reload; numbers and dates follow the language
    tab.goto("/ops/#/overview")
    tab.wait_selector("body[data-ready=true]")
    assert tab.evaluate("() => document.documentElement.lang") == "en"
    show(tab, "overview", "en")
    tab.wait_text(
        '[data-kpi="dvc.received"] [data-role=second]',
        f"This month: {fmt(received_month, 0, 'en')}",
        timeout_s=LIVE_TIMEOUT_S,
    )
    assert local_now().strftime("%d/%m/%Y") in tab.text("#clock")
    tab.click('.lang-btn[data-lang="vi"]')
    show(tab, "overview", "vi")
    tab.wait_text(
        '[data-kpi="dvc.received"] [data-role=second]', f"Tháng này: {fmt(received_month, 0, 'vi')}"
    )
    requests = tab.requests()
    assert requests and all(u.startswith((pipeline.url, "data:")) for u in requests), [
        u for u in requests if not u.startswith(pipeline.url)
    ]


def test_an_ingested_record_shows_up_live_in_firefox(tab: Tab, pipeline: Pipeline) -> None:
    """A new dossier appears in today's and this month's counts over the live feed (Firefox's
    EventSource): no reload and no request to the history API while it does."""
    now = local_now()
    day, month = now.strftime("%Y-%m-%d"), now.strftime("%Y-%m")
    pipeline.wait_idle()
    today = province_row(pipeline, "dvc.received", "day", day)
    this_month = province_value(pipeline, "dvc.received", "month", month)
    open_screen(tab, "overview")
    card = '[data-kpi="dvc.received"]'
    tab.wait_text(f"{card} [data-role=value]", shown(today), timeout_s=LIVE_TIMEOUT_S)
    tab.wait_text(
        f"{card} [data-role=second]", f"Tháng này: {fmt(this_month, 0, 'vi')}", timeout_s=LIVE_TIMEOUT_S
    )
    tab.evaluate("() => { window.__sameDocument = true; }")
    before = len(tab.requests())

    unit = next(code for code, u in UNITS.items() if u.level == "commune")
    dossier = rec(
        f"FIREFOX-{int(time.time() * 1000)}",
        unit,
        2,
        iso(now),
        iso(now - timedelta(minutes=1)),
        iso(now + timedelta(days=5)),
        channel=2,
    )
    sent = time.monotonic()
    code, answer = pipeline.ingest("dvc", [dossier])
    assert code == 200 and answer["accepted"] == 1, answer

    tab.wait_text(f"{card} [data-role=value]", fmt((today or 0) + 1, 0, "vi"), timeout_s=LIVE_TIMEOUT_S)
    tab.wait_text(
        f"{card} [data-role=second]", f"Tháng này: {fmt(this_month + 1, 0, 'vi')}", timeout_s=LIVE_TIMEOUT_S
    )
    print(f"the dossier showed up in Firefox {time.monotonic() - sent:.1f} s after it was sent")
    assert tab.evaluate("() => window.__sameDocument") is True, "the page reloaded"
    api_calls = [u for u in tab.requests()[before:] if "/ops/api/" in u]
    assert api_calls == [], f"live values came from polling: {api_calls}"


def test_a_commune_cut_off_is_acknowledged_and_clears_in_firefox(tab: Tab, pipeline: Pipeline) -> None:
    """A commune cut off turns its tile red on the board, its alert opens on the feed, an operator
    types a Vietnamese name (real key events) and acknowledges with a click (stored in DuckDB),
    and it clears again: all live, in Firefox."""
    commune, sites = quiet_commune(pipeline, set())
    tag = f"firefox-ack-{commune}-{int(time.time())}"
    open_screen(tab, "communes")
    tile = f'[data-commune="{commune}"]'
    tab.wait_selector(f'{tile}[data-state="normal"]')
    set_alarms(pipeline, tag, sites, "raised")
    try:
        tab.wait_selector(f'{tile}[data-state="cutoff"]', timeout_s=LIVE_TIMEOUT_S)
        assert "MẤT LIÊN LẠC" in tab.text(tile) and UNITS[commune].name_vi in tab.text(tile)
        tab.click('a[data-screen="alerts"]')
        row = f'li[data-rule="commune_cut_off"][data-subject="{commune}"][data-state="open"]'
        tab.wait_selector(row, timeout_s=LIVE_TIMEOUT_S)
        tab.type("#operator", "Lò Thị Mai")
        assert tab.evaluate("() => document.querySelector('#operator').value") == "Lò Thị Mai"
        tab.click(f'{row} button[data-action="ack"]')
        tab.wait_selector(f"{row} .acked", timeout_s=LIVE_TIMEOUT_S)
        assert "Đã xác nhận: Lò Thị Mai" in tab.text(f"{row} .acked")
        stored = pipeline.sql(
            f"SELECT acknowledged_by FROM alerts WHERE rule = 'commune_cut_off' "
            f"AND subject = '{commune}' AND cleared_at IS NULL"
        )
        assert stored == [{"acknowledged_by": "Lò Thị Mai"}]
    finally:
        set_alarms(pipeline, tag, sites, "cleared")
    tab.wait_selector(
        f'li[data-rule="commune_cut_off"][data-subject="{commune}"][data-state="cleared"]',
        timeout_s=LIVE_TIMEOUT_S,
    )
    tab.click('a[data-screen="communes"]')
    tab.wait_selector(f'{tile}[data-state="normal"]', timeout_s=LIVE_TIMEOUT_S)


@pytest.mark.parametrize("size", [WALL, LAPTOP], ids=["1920x1080", "1366x768"])
def test_readable_on_a_wall_and_a_laptop_in_firefox(
    firefox: Firefox, pipeline: Pipeline, size: dict[str, int]
) -> None:
    """No sideways scrolling at either size with Firefox's layout and scrollbars; the shipped
    Vietnamese font is the one in use; the overview's figures are large enough to read."""
    with new_tab(firefox, pipeline, size) as tab:
        open_screen(tab, "overview")
        assert tab.evaluate("() => [innerWidth, innerHeight]") == [size["width"], size["height"]]
        for screen in SCREENS:
            tab.click(f'a[data-screen="{screen}"]')
            show(tab, screen, "vi")
            wide = tab.evaluate(SIDEWAYS)
            assert not wide, f"{screen} scrolls sideways at {size} in Firefox: {wide}"
        tab.click('a[data-screen="overview"]')
        show(tab, "overview", "vi")
        tab.wait_for("() => document.fonts.status === 'loaded'", what="the fonts to load")
        assert tab.evaluate("() => document.fonts.check('700 16px \"Be Vietnam Pro\"', 'Tỷ lệ đúng hạn')")
        assert tab.evaluate(
            "() => [...document.fonts].some(f => f.family.includes('Be Vietnam Pro') "
            "&& f.status === 'loaded')"
        )
        used = tab.evaluate("() => getComputedStyle(document.querySelector('#screen h1')).fontFamily")
        assert "Be Vietnam Pro" in used, used
        value_px = tab.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('.card-value')).fontSize)"
        )
        label_px = tab.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('.card-title')).fontSize)"
        )
        big, small = (36, 15) if size == WALL else (24, 11)
        assert value_px >= big and label_px >= small, (value_px, label_px)
