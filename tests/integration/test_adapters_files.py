"""`ioc ingest <adapter> FILE...` on each worked example (exactly its counts), the inbox folders (done/,
failed/ with the reason), and an inbox file whose pipeline is killed in the middle: after the restart
every record is in DuckDB once and every bad item is one dead letter."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.conformance.kits import TZ, _pm
from tests.harness import Pipeline
from tests.wire_kit import MEAS_FILE, PIPELINE_CONFIG, WIRE, fill_stp_code

pytestmark = pytest.mark.integration


def inbox_config(folder: Path, batch: int = 500) -> str:
    return (
        PIPELINE_CONFIG + f"[adapters]\ninbox_poll_s = 0.2\ninbox_batch_items = {batch}\n"
        f'[adapters.edxml]\ninbox = "{folder / "edxml"}"\n'
        f'[adapters.meascollec]\ninbox = "{folder / "meascollec"}"\n'
    )


@pytest.fixture(scope="module")
def filed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    work = Path(tmp_path_factory.mktemp("adapter-files"))
    p = Pipeline(work, inbox_config(work / "inbox"))
    fill_stp_code(p.workdir / "config" / "provinces" / "lai-chau")
    p.start()
    yield p
    if p.proc is not None:
        assert p.stop() == 0


@pytest.mark.parametrize(
    ("args", "lines"),
    [
        (
            ["dvcqg", "dvcqg-sync.json"],
            [
                "dvcqg -> dvc: 2 items, 3 records",
                "accepted       3",
                "dead-lettered  1",
                "unknown_unit:000.00.51.H35               1",
                "ignored        0",
            ],
        ),
        (
            ["edxml", "edxml-document.edxml", "edxml-status.edxml"],
            ["edxml -> eoffice: 2 items, 3 records", "accepted       3"],
        ),
        (
            ["meascollec", "--operator", "viettel", MEAS_FILE],
            ["meascollec -> telecom: 1 items, 1 records", "accepted       1"],
        ),
        (
            ["ves", "--operator", "viettel", "ves-batch.json"],
            ["ves -> telecom: 3 items, 2 records", "accepted       2", "ignored        1", "heartbeat"],
        ),
    ],
)
def test_cli_ingest_of_each_worked_example(filed: Pipeline, args: list[str], lines: list[str]) -> None:
    files = [str(WIRE / a) if (WIRE / a).exists() else a for a in args]
    result = filed.cli("ingest", *files)
    assert result.returncode == 0, result.stderr
    for line in lines:
        assert line in result.stdout, (line, result.stdout)
    again = filed.cli("ingest", *files)
    assert "accepted       0" in again.stdout


def test_cli_ingest_needs_an_operator(filed: Pipeline) -> None:
    result = filed.cli("ingest", "meascollec", str(WIRE / MEAS_FILE))
    assert result.returncode == 2 and "--operator" in result.stderr


def wait_for(path: Path, pattern: str, timeout_s: float = 90) -> list[Path]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = sorted(path.glob(pattern))
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"nothing like {pattern} in {path}")


def test_inbox_done_and_failed(filed: Pipeline) -> None:
    inbox = filed.workdir / "inbox"
    meas = inbox / "meascollec" / "viettel"
    wait_for(meas, "done")
    doc = (WIRE / MEAS_FILE).read_text().replace("LCU0123", "LCU0777")
    (meas / "A20261120.0000+0700-0015+0700_LCU0777.xml.part").write_text(doc)
    (meas / "A20261120.0000+0700-0015+0700_LCU0777.xml.part").rename(
        meas / "A20261120.0000+0700-0015+0700_LCU0777.xml"
    )
    (inbox / "edxml" / "broken.edxml").write_bytes(b"<edXML><edXMLHeader>")
    [result] = wait_for(meas / "done", "*LCU0777.xml.result.json")
    assert b'"accepted": 1' in result.read_bytes()
    assert (meas / "done" / "A20261120.0000+0700-0015+0700_LCU0777.xml").exists()
    [reason] = wait_for(inbox / "edxml" / "failed", "broken.edxml.reason")
    assert reason.read_text().startswith("unparseable: not well-formed XML")
    filed.wait_idle()
    rows = filed.sql("SELECT count(*) AS n FROM raw_telecom WHERE record->>'site_id' = 'LCU0777'")
    assert rows == [{"n": 1}]


def test_inbox_file_survives_a_kill_mid_file(tmp_path: Path) -> None:
    """A 15-minute file of 1,500 sites and 30 bad ones first, published 5 items a step; once the inbox
    has saved 15 items as done, its process is frozen (SIGSTOP: it cannot finish the file while we look),
    and once DuckDB holds some of those dead letters the whole pipeline gets SIGKILL; after the restart
    DuckDB holds each site once and each bad item once (the steps before the kill are offered again:
    duplicates, and dead letters of the same ids)."""
    from simulator.wire import meascollec_file

    good = [
        {**_pm(i, __import__("random").Random(i)), "period_start": "2026-11-21T08:00:00+07:00"}
        for i in range(1500)
    ]
    text = meascollec_file(good, TZ).decode()
    bad = "".join(
        f'<measData><managedElement localDn="NOAV{i}"/><measInfo><granPeriod duration="PT900S" '
        'endTime="2026-11-21T08:15:00+07:00"/><measType p="1">VS.Voice.Erlang</measType>'
        '<measValue measObjLdn="c"><r p="1">1</r></measValue></measInfo></measData>'
        for i in range(30)
    )
    data = text.replace("</fileHeader>", "</fileHeader>" + bad, 1).encode()  # dead letters in the first steps
    p = Pipeline(tmp_path, inbox_config(tmp_path / "inbox", batch=5))
    p.start()
    try:
        folder = tmp_path / "inbox" / "meascollec" / "viettel"
        wait_for(folder, ".progress")
        (folder / "big.xml.tmp").write_bytes(data)
        (folder / "big.xml.tmp").rename(folder / "big.xml")
        progress = folder / ".progress" / "big.xml.json"
        assert p.proc is not None
        assert _items_done(progress, at_least=15, timeout_s=120), "the inbox never got into the file"
        # The gateway and its inbox live in the supervisor process; the broker, the sink and the workers
        # are its children and keep running, so the dead letters already published reach DuckDB.
        os.kill(p.proc.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # some dead letters are in DuckDB: re-sending must not add them
            if p.sink_sql("SELECT count(*) AS n FROM dead_letters")[0]["n"] >= 10:
                break
            time.sleep(0.05)
        os.killpg(p.proc.pid, signal.SIGKILL)  # the whole pipeline, its memory-only broker included
        p.proc.wait()
        p.proc = None
        assert (folder / "big.xml").exists() and progress.exists()  # not finished: resumed after the restart
        p.start()
        wait_for(folder / "done", "big.xml.result.json", timeout_s=300)
        p.wait_idle(timeout_s=300)
        sites = p.sql("SELECT count(*) AS n, count(DISTINCT record->>'site_id') AS d FROM raw_telecom")
        assert sites == [{"n": 1500, "d": 1500}]
        dead = p.sql("SELECT count(*) AS n FROM dead_letters WHERE reason = 'missing_field:availability_pct'")
        assert dead == [{"n": 30}]
    finally:
        if p.proc is not None:
            p.stop()


def _items_done(progress: Path, at_least: int, timeout_s: float) -> bool:
    """Polls the inbox's progress file (replaced atomically after each published step)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if orjson.loads(progress.read_bytes())["items_done"] >= at_least:
                return True
        except (OSError, orjson.JSONDecodeError):
            pass
        time.sleep(0.002)
    return False

