"""Hostile XML (wire-formats 0.7): each document below is one dead letter, and parsing it opens no file
and tries no connection. Checked twice: Python-level opens and connects fail loudly while parsing, and
C-level access (libxml2's own) is caught by a FIFO and a listening socket that the hostile documents
point at: a reader opening the FIFO or a client connecting to the socket would be seen."""

from __future__ import annotations

import builtins
import gzip
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import defusedxml.ElementTree as defused
import pytest

from connectors.adapters.base import Meta
from tests.wire_kit import MEAS_FILE, counts, example, run

EDXML = example("edxml-document.edxml")


class Watch:
    """A FIFO and a loopback listener; `touched` lists what a parser reached."""

    def __init__(self, folder: Path) -> None:
        self.fifo = folder / "probe.fifo"
        os.mkfifo(self.fifo)
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.server.settimeout(0.05)
        self.port = self.server.getsockname()[1]
        self.touched: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.stop.is_set():
            try:  # succeeds only while someone holds the FIFO open for reading
                os.close(os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK))
                self.touched.append("fifo opened")
            except OSError:
                pass
            try:
                conn, _ = self.server.accept()
                conn.close()
                self.touched.append("connection")
            except (TimeoutError, OSError):
                pass
            time.sleep(0.005)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.server.close()


@pytest.fixture
def watch(tmp_path: Path) -> Iterator[Watch]:
    w = Watch(tmp_path)
    yield w
    w.close()


@contextmanager
def no_python_io() -> Iterator[None]:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"I/O while parsing: {args[:2]}")

    saved = builtins.open, socket.socket.connect, socket.create_connection
    builtins.open, socket.socket.connect, socket.create_connection = refuse, refuse, refuse  # type: ignore
    try:
        yield
    finally:
        builtins.open, socket.socket.connect, socket.create_connection = saved  # type: ignore[misc]


def hostile(w: Watch) -> dict[str, bytes]:
    fifo, http = f"file://{w.fifo}", f"http://127.0.0.1:{w.port}"
    lol = b"".join(
        b'<!ENTITY lol%d "&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;">'
        % ((i, *([i - 1] * 10)))
        for i in range(1, 10)
    )
    return {
        "billion laughs": b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY lol0 "lol">'
        + lol
        + b"]><edXML>&lol9;</edXML>",
        "quadratic blowup": b'<!DOCTYPE edXML [<!ENTITY a "'
        + b"x" * 50_000
        + b'">]><edXML>'
        + b"&a;" * 1000
        + b"</edXML>",
        "file:///etc/passwd": b'<!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]><edXML>&x;</edXML>',
        "file entity (probe)": f'<!DOCTYPE edXML [<!ENTITY x SYSTEM "{fifo}">]><edXML>&x;</edXML>'.encode(),
        "http entity": f'<!DOCTYPE edXML [<!ENTITY x SYSTEM "{http}/x">]><edXML>&x;</edXML>'.encode(),
        "external DTD": f'<!DOCTYPE edXML SYSTEM "{http}/edxml.dtd"><edXML/>'.encode(),
        "parameter entity": f'<!DOCTYPE edXML [<!ENTITY % p SYSTEM "{fifo}"> %p;]><edXML/>'.encode(),
        "XInclude file": f'<edXML xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{fifo}" '
        'parse="text"/></edXML>'.encode(),
        "XInclude http": f'<edXML xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{http}/x"/>'
        "</edXML>".encode(),
        "depth 65": b"<a>" * 65 + b"</a>" * 65,
        "UTF-32": '<?xml version="1.0" encoding="UTF-32"?><edXML/>'.encode("utf-32"),
        "Latin-1": '<?xml version="1.0" encoding="ISO-8859-1"?><edXML>Lò Bá</edXML>'.encode("latin-1"),
        "Windows-1258": '<?xml version="1.0" encoding="windows-1258"?><edXML>x</edXML>'.encode("cp1258"),
        "bytes not UTF-8": b"<edXML>\xff\xfe\xfa</edXML>",
        "not XML": b"PK\x03\x04 a zip file",
    }


@pytest.mark.parametrize("adapter", ["edxml", "meascollec"])
def test_hostile_documents_give_one_dead_letter_and_touch_nothing(adapter: str, watch: Watch) -> None:
    meta = Meta("viettel", MEAS_FILE) if adapter == "meascollec" else Meta()
    for name, doc in hostile(watch).items():
        with no_python_io():
            prepared = run(adapter, doc, meta)
        c = counts(prepared)
        assert (c["items"], c["records"], c["dead_letter_reasons"]) == (1, 0, {"unparseable": 1}), name
        assert len(prepared.messages) == 1, name
    time.sleep(0.1)
    assert watch.touched == []


def test_a_million_elements_and_one() -> None:
    """libxml2 has no element limit: ours stops the parse (once: it takes seconds on a busy machine)."""
    flood = b"<measCollecFile>" + b"<a/>" * 1_000_001 + b"</measCollecFile>"
    c = counts(run("meascollec", flood, Meta("viettel", MEAS_FILE)))
    assert (c["items"], c["dead_letter_reasons"]) == (1, {"unparseable": 1})


def test_schema_location_is_never_fetched(watch: Watch) -> None:
    """A schemaLocation is an attribute like any other: the document is read, nothing is fetched."""
    doc = EDXML.replace(
        b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"',
        b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016" xmlns:xsi="http://www.w3.org/'
        b'2001/XMLSchema-instance" xsi:schemaLocation="http://www.mic.gov.vn/TBT/QCVN_102_2016 '
        + f"http://127.0.0.1:{watch.port}/edxml.xsd".encode()
        + b'"',
    )
    with no_python_io():
        assert counts(run("edxml", doc))["accepted"] == 2
    time.sleep(0.1)
    assert watch.touched == []


@pytest.mark.parametrize("adapter", ["edxml", "meascollec"])
def test_compression_bomb_is_one_too_large(adapter: str) -> None:
    bomb = gzip.compress(b"<measCollecFile>" + b" " * (80 << 20), compresslevel=9)
    assert len(bomb) < 200_000
    meta = Meta("viettel", MEAS_FILE) if adapter == "meascollec" else Meta()
    with no_python_io():
        c = counts(run(adapter, bomb, meta))
    assert (c["items"], c["dead_letter_reasons"]) == (1, {"too_large": 1})


def test_utf16_is_accepted() -> None:
    doc = EDXML.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert counts(run("edxml", doc))["accepted"] == 2


def test_the_corpus_is_hostile_by_defusedxml_too(watch: Watch) -> None:
    """defusedxml, the stdlib's locked parser, refuses every DTD-borne document of the corpus."""
    for doc in hostile(watch).values():
        if b"<!DOCTYPE" in doc:
            with pytest.raises(
                (defused.DTDForbidden, defused.EntitiesForbidden, defused.ExternalReferenceForbidden)
            ):
                defused.fromstring(doc, forbid_dtd=True)


def test_a_value_cut_short_by_the_end_of_the_kept_text_is_starred_too() -> None:
    """A truncated document's last attribute value or JSON string has no closing quote: it is a value
    all the same (before, a holder's name cut there was kept in clear)."""
    from connectors.adapters.xml import blank_values

    assert blank_values('<a x="Nguyen Van A"><r p="Tran Thi', "xml") == '<a x="****** *** *"><r p="**** ***'
    assert blank_values("<r p='Tran Thi", "xml") == "<r p='**** ***"
    assert blank_values('{"name": "Tran Thi', "json") == '{"name": "**** ***'
