"""Each worked example of wire-formats.md gives exactly its records (compared as parsed JSON, `_wire`
included) and its counts; sent again, its records are duplicates and its dead letters come again."""

from __future__ import annotations

import re

import orjson
import pytest

from connectors.dedup import IdentityIndex
from tests.personal_ids import DIGIT_BOUNDED
from tests.wire_kit import (
    MEAS_FILE,
    counts,
    dead_letters,
    example,
    expected,
    meta_of,
    raw_records,
    run,
    spec_path,
)


def test_dvcqg_dossier_sync() -> None:
    index = IdentityIndex()
    prepared = run("dvcqg", example("dvcqg-sync.json"), index=index)
    c = counts(prepared)
    assert (c["items"], c["records"], c["accepted"], c["dead_lettered"]) == (2, 3, 3, 1)
    assert c["dead_letter_reasons"] == {"unknown_unit:000.00.51.H35": 1}
    main = expected("dvcqg-main.json")[0]
    requested = {
        **main,
        "TrangThaiHoSo": 5,
        "ThoiGianCapNhat": "2026-11-03T10:05:00+07:00",
        "_wire": {**main["_wire"], "derived": "supplement_requested"},
    }
    received = {
        **main,
        "TrangThaiHoSo": 4,
        "ThoiGianCapNhat": "2026-11-05T08:40:00+07:00",
        "_wire": {**main["_wire"], "derived": "supplement_received"},
    }
    assert raw_records(prepared) == [main, requested, received]
    [letter] = dead_letters(prepared)
    assert letter["source"] == "dvc" and letter["reason"] == "unknown_unit:000.00.51.H35"
    item = orjson.loads(letter["record"])
    assert item["adapter"] == "dvcqg" and item["item"]["MaHoSo"] == "000.00.51.H35-250612-0107"
    assert "ChuHoSo" not in item["item"] and "SoGiayToChuHoSo" not in item["item"]
    assert not DIGIT_BOUNDED.search(letter["record"].encode())
    again = counts(run("dvcqg", example("dvcqg-sync.json"), index=index))
    assert (again["accepted"], again["duplicate"], again["dead_lettered"]) == (0, 3, 1)


def test_dvcqg_drops_the_holder() -> None:
    """No record or dead letter holds the holder's name, id number or phone (1.6)."""
    text = b"".join(m.value for m in run("dvcqg", example("dvcqg-sync.json")).messages)
    for planted in ("Lò Thị Xuân", "012195000317", "0912345678", "Tẩn Láo Lở", "012188004521"):
        assert planted.encode() not in text


def test_edxml_document_and_status() -> None:
    index = IdentityIndex()
    document = run("edxml", example("edxml-document.edxml"), index=index)
    c = counts(document)
    assert (c["items"], c["records"], c["accepted"], c["dead_lettered"], c["ignored"]) == (1, 2, 2, 0, 0)
    assert raw_records(document) == expected("edxml-document.json")
    text = b"".join(m.value for m in document.messages)
    assert "Nguyễn Văn An".encode() not in text and b"JVBERi0" not in text
    status = run("edxml", example("edxml-status.edxml"), index=index)
    assert raw_records(status) == expected("edxml-status.json")
    assert "Văn thư".encode() not in b"".join(m.value for m in status.messages)
    registered = example("edxml-status.edxml").replace(b"<edXML:StatusCode>06<", b"<edXML:StatusCode>03<")
    c = counts(run("edxml", registered, index=index))
    assert (c["items"], c["records"], c["ignored"], c["ignored_kinds"]) == (1, 0, 1, {"status:03": 1})


def test_meascollec_file() -> None:
    index = IdentityIndex()
    prepared = run("meascollec", example(MEAS_FILE), meta_of("meascollec"), index=index)
    c = counts(prepared)
    assert (c["items"], c["records"], c["accepted"], c["dead_lettered"]) == (1, 1, 1, 0)
    assert raw_records(prepared) == expected("meascollec.json")
    assert "Khun Há".encode() not in b"".join(m.value for m in prepared.messages)  # userLabel
    assert counts(run("meascollec", example(MEAS_FILE), meta_of("meascollec"), index=index))["duplicate"] == 1


def test_ves_batch() -> None:
    index = IdentityIndex()
    prepared = run("ves", example("ves-batch.json"), meta_of("ves"), index=index)
    c = counts(prepared)
    assert (c["items"], c["records"], c["accepted"], c["ignored"]) == (3, 2, 2, 1)
    assert c["ignored_kinds"] == {"heartbeat": 1}
    assert raw_records(prepared) == expected("ves.json")
    assert counts(run("ves", example("ves-batch.json"), meta_of("ves"), index=index))["duplicate"] == 2


def _blocks(text: str) -> list[str]:
    return [body for _, body in re.findall(r"```(\w*)\n(.*?)```", text, re.S)]


def test_the_examples_are_the_specs() -> None:
    """The files in examples/wire/ and the expected records are the spec's own text."""
    path = spec_path()
    if path is None:
        pytest.skip("wire-formats.md is not beside the repository")
    blocks = _blocks(path.read_text(encoding="utf-8"))
    for name in (
        "dvcqg-sync.json",
        "edxml-document.edxml",
        "edxml-status.edxml",
        MEAS_FILE,
        "ves-batch.json",
    ):
        assert example(name).decode() in blocks, name
    decoder = orjson.loads
    found = []
    for block in blocks:
        try:
            found.append(decoder(block))
        except orjson.JSONDecodeError:
            found += [
                decoder(part)
                for part in re.split(r"\n(?=\{)", block.strip())
                if part.startswith("{") and _is_json(part)
            ]
    for name in (
        "dvcqg-main.json",
        "edxml-document.json",
        "edxml-status.json",
        "meascollec.json",
        "ves.json",
    ):
        for record in expected(name):
            assert record in found, (name, record)


def _is_json(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True
