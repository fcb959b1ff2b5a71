"""The ops screens in a real browser: Debian's headless Chromium driven by Playwright, against the
real pipeline (embedded broker, Faust worker, DuckDB sink) started by tests/harness.py.

The pipeline is fed a seeded, simulated Lai Châu (35 days of dossiers for the 766 index's month
on month change, 3 days of documents, identities and telecom) so every screen has real content.
"""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract.settings import load_settings
from simulator.faults import Faults
from simulator.run import generate
from simulator.world import World
from tests.harness import Pipeline

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Every run saves the screenshots; into docs/screenshots (the README's) only when asked with
# `make screenshots`, so a test run does not rewrite committed files.
SCREENSHOTS = Path(os.environ.get("IOC_SCREENSHOTS_DIR") or tempfile.gettempdir()) / (
    "" if os.environ.get("IOC_SCREENSHOTS_DIR") else "ioc-screenshots")
WALL = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1366, "height": 768}
SCREENS = ("overview", "ranking", "communes", "worklist", "alerts", "health")
DAY = 86_400


def _records(now: float) -> dict[str, list[bytes]]:
    settings = load_settings()
    dossiers = World(seed=766, start=now - 35 * DAY, units=settings.units, rate_scale=0.25, sites=60)
    others = World(seed=1670, start=now - 3 * DAY, units=settings.units, rate_scale=0.3, sites=60)
    records = generate(dossiers, ("dvc",), now - 60)
    records.update(generate(others, ("eoffice", "population", "telecom"), now - 60))
    faults = Faults(dossiers, 0.004)   # a few dead letters, so the health panel shows its reasons
    return {source: faults.lines(source, rs) for source, rs in records.items()}


# The portal's official 766 points for the month's best commune (every group, as group figures), so
# the ranking shows the official score and the difference beside the estimate.
OFFICIAL_GROUPS = {"CKMB": 15.5, "TDGQ": 17.25, "CLGQ": 10.0, "TTTT": 8.0, "MDSH": 18.0, "MDHL": 16.5}


def _official_figures(p: Pipeline) -> None:
    month = time.strftime("%Y-%m", time.gmtime(time.time() + 7 * 3600))   # Lai Châu's month (UTC+7)
    best = p.sql("SELECT unit FROM index766_scores WHERE grain = 'month' AND unit_level = 'commune' "
                 f"AND period = '{month}' ORDER BY total DESC, unit LIMIT 1")
    assert best, "no commune has a 766 score this month"
    rows = "".join(f"{best[0]['unit']},{month},{g},,{v}\n" for g, v in OFFICIAL_GROUPS.items())
    path = p.workdir / "official.csv"
    path.write_text("unit,period,group,component,points\n" + rows)
    done = p.cli("ingest", "portal766", str(path))
    assert done.returncode == 0, done.stderr
    p.wait_idle()


@pytest.fixture(scope="package")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    p = Pipeline(Path(tmp_path_factory.mktemp("screens")))
    p.start()
    try:
        for source, lines in _records(time.time()).items():
            for i in range(0, len(lines), 5000):
                code, answer = p.ingest(source, b"\n".join(lines[i:i + 5000]))
                assert code == 200, answer
        p.wait_idle(timeout_s=300)
        _official_figures(p)
        yield p
    finally:
        if p.proc is not None:
            assert p.stop() == 0


# Playwright's sync API keeps its event loop until it stops: not beyond these tests
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, pipeline: Pipeline) -> Iterator[Any]:
    """A fresh browser profile (nothing remembered) on the wall's resolution."""
    context = browser.new_context(viewport=WALL, base_url=pipeline.url)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.set_default_timeout(30_000)
    pg.errors = errors
    yield pg
    context.close()
    assert not errors, f"the page reported errors: {errors}"


def open_screen(pg: Any, screen: str, lang: str | None = None) -> None:
    query = f"?lang={lang}" if lang else ""
    pg.goto(f"/ops/{query}#/{screen}")
    pg.wait_for_selector("body[data-ready=true]")
    pg.wait_for_selector(".conn-live")


def go_to(pg: Any, screen: str) -> None:
    """Click `screen` in the menu and wait until it is the one shown and nothing on it is loading."""
    pg.click(f'a[data-screen="{screen}"]')
    pg.wait_for_selector(f'#screen[data-screen="{screen}"]')
    pg.wait_for_load_state("networkidle")
    pg.wait_for_function("() => !document.querySelector('#screen').textContent.includes('…')")


def screenshot(pg: Any, name: str) -> None:
    if os.environ.get("IOC_NO_SCREENSHOTS"):
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
