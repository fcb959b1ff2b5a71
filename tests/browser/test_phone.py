"""The overview, alerts and worklist on a phone (390×844, device emulation in Chromium): nothing
scrolls sideways, text stays readable, the language toggle is in reach."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import open_screen, screenshot
from tests.browser.test_screens import SIDEWAYS
from tests.harness import Pipeline

pytestmark = pytest.mark.integration
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True,
         "has_touch": True}
MIN_TEXT_PX = 12
SCREENS = ("overview", "alerts", "worklist")

# The smallest computed font size of any visible text, with where it is.
SMALLEST_TEXT = """() => {
  let min = [Infinity, ''];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || el.closest('svg') || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const px = parseFloat(style.fontSize);
    if (px < min[0]) min = [px, (el.className || el.tagName) + ': ' + n.textContent.trim().slice(0, 40)];
  }
  return min;
}"""


@pytest.fixture
def phone(browser: Any, pipeline: Pipeline) -> Iterator[Any]:
    context = browser.new_context(base_url=pipeline.url, **PHONE)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.set_default_timeout(30_000)
    yield pg
    context.close()
    assert not errors, f"the page reported errors: {errors}"


def check_screen(pg: Any, name: str) -> None:
    pg.wait_for_load_state("networkidle")
    pg.wait_for_function("() => !document.querySelector('#screen').textContent.includes('…')")
    assert pg.evaluate("() => innerWidth") == 390
    wide = pg.evaluate(SIDEWAYS)
    assert not wide, f"{name} scrolls sideways on a phone: {wide}"
    smallest, where = pg.evaluate(SMALLEST_TEXT)
    assert smallest >= MIN_TEXT_PX, f"{name}: text of {smallest} px ({where})"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_overview_alerts_and_worklist_on_a_phone(phone: Any, pipeline: Pipeline, lang: str) -> None:
    open_screen(phone, "overview", lang)
    for screen in SCREENS:
        phone.click(f'a[data-screen="{screen}"]')
        check_screen(phone, screen)
        screenshot(phone, f"phone-{screen}-{lang}")
    # a unit's worklist (the late and overdue dossiers' tables)
    phone.click("a[data-screen='worklist']")
    phone.wait_for_selector(".units tbody tr")
    phone.locator(".units tbody tr").first.click()
    phone.wait_for_selector(".detail")
    check_screen(phone, "worklist of a unit")
    screenshot(phone, f"phone-worklist-unit-{lang}")


def test_the_language_toggle_is_in_reach(phone: Any) -> None:
    open_screen(phone, "overview", "vi")
    toggle = phone.locator('.lang-btn[data-lang="en"]')
    box = toggle.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] >= 0
    assert box["height"] >= 24 and box["width"] >= 24   # a finger can hit it
    toggle.tap()
    phone.wait_for_function("() => document.documentElement.lang === 'en'")
    assert phone.locator('a[data-screen="overview"]').inner_text().strip() == "Overview"
