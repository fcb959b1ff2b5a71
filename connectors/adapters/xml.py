"""A locked XML reader for wire documents (wire-formats 0.7): lxml's pull parser with no DTD, no
entity, no network, no resolver that may load anything, and our own limits on depth, element count,
encoding and (inflated) size. Nothing here opens a file or a connection.

lxml (libxml2) does the parsing; what is added is only what a kept parser cannot be told: refusing a
DOCTYPE outright (so no entity is ever declared), UTF-8/UTF-16 only, 64 levels, 10^6 elements, and
gzip inflated as a stream that stops at the limit (a compression bomb is one dead letter).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from lxml import etree

from connectors.privacy import mask_text

MAX_DEPTH = 64
MAX_ELEMENTS = 1_000_000
KEEP_UNPARSEABLE = 64 << 10  # an unparseable document's dead letter keeps its first 64 KiB
_CHUNK = 64 << 10
_GZIP = b"\x1f\x8b"
_DECL_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_XINCLUDE = "{http://www.w3.org/2001/XInclude}"
_ALLOWED = {"utf-8", "utf8", "utf-16", "utf16", "utf-16le", "utf-16be"}


class XmlRejected(Exception):
    """The whole document is one dead letter: `unparseable` or `too_large`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


class _Refuse(etree.Resolver):  # type: ignore[misc]
    """Asked for anything outside the document (an external entity or DTD): refuse and remember."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def resolve(self, url: str, pubid: str, context: Any) -> Any:
        self.asked.append(str(url))
        raise XmlRejected("unparseable", "the document refers to something outside itself")


def inflate(data: bytes, limit: int) -> bytes:
    """The document itself: gzip (by its magic bytes) inflated as a stream, stopped past `limit`."""
    if data[:2] != _GZIP:
        if len(data) > limit:
            raise XmlRejected("too_large", f"{len(data)} bytes, over {limit}")
        return data
    out, total = [], 0
    inflater = zlib.decompressobj(wbits=31)
    rest = data
    try:
        while rest:
            piece = inflater.decompress(rest, _CHUNK)
            rest = inflater.unconsumed_tail
            total += len(piece)
            if total > limit:
                raise XmlRejected("too_large", f"more than {limit} bytes once inflated")
            out.append(piece)
            if inflater.eof:
                break  # a second gzip member or trailing bytes are not read
            if not piece and not rest:
                break
        if not inflater.eof:
            raise XmlRejected("unparseable", "truncated gzip stream")
    except zlib.error as exc:
        raise XmlRejected("unparseable", f"bad gzip stream: {exc}") from None
    return b"".join(out)


def check_encoding(data: bytes) -> None:
    """UTF-8 or UTF-16 only (with or without a BOM); UTF-32, Latin-1, Windows-1258... are refused."""
    head = data[:4]
    if (
        head[:4] in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
        or head == b"\x00\x00\x00<"
        or head == b"<\x00\x00\x00"
    ):
        raise XmlRejected("unparseable", "UTF-32 is not accepted")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:2] in (b"<\x00", b"\x00<"):
        return  # UTF-16: its declaration can only name UTF-16 for libxml2 to read it
    m = _DECL_ENCODING.match(data.lstrip(b"\xef\xbb\xbf")[:200])
    if m and m.group(1).decode("ascii").lower() not in _ALLOWED:
        raise XmlRejected("unparseable", f"encoding {m.group(1).decode('ascii')} is not UTF-8 or UTF-16")


@lru_cache(maxsize=4096)   # a document repeats a few dozen tags: the hottest call of a large file
def local(tag: Any) -> str:
    """An element's local name (namespace URIs are not checked: wire-formats 0.7)."""
    if not isinstance(tag, str):
        return ""  # a comment or processing instruction
    return tag.rsplit("}", 1)[-1]


def events(data: bytes, skip: frozenset[str] = frozenset()) -> Iterator[tuple[str, Any]]:
    """("start" | "end", element) pairs of a locked parse; XmlRejected for any breach. Elements named
    in `skip` (attachments) are emptied as soon as they end and never handed out."""
    check_encoding(data)
    refuse = _Refuse()
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
        recover=False,
    )
    parser.resolvers.add(refuse)
    depth = elements = skipping = 0
    checked_doctype = False
    try:
        for at in range(0, len(data) or 1, _CHUNK):
            parser.feed(data[at : at + _CHUNK])
            for event, element in parser.read_events():
                if event == "start":
                    depth += 1
                    elements += 1
                    if depth > MAX_DEPTH:
                        raise XmlRejected("unparseable", f"nested deeper than {MAX_DEPTH}")
                    if elements > MAX_ELEMENTS:
                        raise XmlRejected("unparseable", f"more than {MAX_ELEMENTS} elements")
                    if not checked_doctype:
                        _refuse_doctype(element)
                        checked_doctype = True
                    tag = element.tag
                    if tag[:1] == "{" and tag.startswith(_XINCLUDE):
                        raise XmlRejected("unparseable", "XInclude is not accepted")
                    if skip and local(tag) in skip:
                        skipping += 1
                else:
                    depth -= 1
                    if skip and local(element.tag) in skip:
                        skipping -= 1
                        element.clear()
                        continue
                if not skipping:
                    yield event, element
        parser.close()
    except etree.XMLSyntaxError as exc:
        raise XmlRejected("unparseable", f"not well-formed XML: {exc}") from None
    except (ValueError, LookupError) as exc:  # lxml's own refusals (e.g. an unknown encoding)
        raise XmlRejected("unparseable", str(exc)) from None
    if refuse.asked:
        raise XmlRejected("unparseable", "the document refers to something outside itself")
    if not checked_doctype:
        raise XmlRejected("unparseable", "no root element")


def _refuse_doctype(element: Any) -> None:
    info = element.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise XmlRejected("unparseable", "a DOCTYPE is not accepted (no DTD is read)")


_XML_TEXT = re.compile(r"(?:^|>)([^<>]+)(?=<|$)")
# A value cut short by the end of the kept text (a truncated document) is a value too.
_XML_ATTRIBUTE = re.compile(r"""(=\s*)(?:"([^"]*)("|$)|'([^']*)('|$))""")
_JSON_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)("|$)(\s*:)?|([^"\s{}\[\],:]+)')


def _stars(text: str) -> str:
    return re.sub(r"\S", "*", text)


def _json_token(m: re.Match[str]) -> str:
    if m.group(3):
        return m.group(0)   # a key
    return f'"{_stars(m.group(1))}{m.group(2)}' if m.group(1) is not None else _stars(m.group(4))


def _xml_attribute(m: re.Match[str]) -> str:
    if m.group(2) is not None:
        return f'{m.group(1)}"{_stars(m.group(2))}{m.group(3)}'
    return f"{m.group(1)}'{_stars(m.group(4))}{m.group(5)}"


def blank_values(text: str, kind: str) -> str:
    """The markup of a document that could not be read, its values starred out (their length kept, so
    the parser's line and column still point at the problem): element texts and attribute values of
    XML (and text before the first tag), values and bare words of JSON (keys stay). Names, ids and
    phones sit in values; a format's personal fields cannot be told apart in a document that does not
    parse."""
    if kind == "json":   # keys stay; string values, numbers and bare words are starred
        return _JSON_TOKEN.sub(_json_token, text)
    text = _XML_TEXT.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + _stars(m.group(1)), text)
    return _XML_ATTRIBUTE.sub(_xml_attribute, text)


def rejected_item(data: bytes, detail: str, kind: str = "xml") -> dict[str, Any]:
    """What a whole-document dead letter keeps (0.5): its first 64 KiB, masked (12-digit runs, and every
    value: see blank_values), its length and SHA-256."""
    head = data[:KEEP_UNPARSEABLE].decode("utf-8", errors="replace")
    return {"length": len(data), "sha256": hashlib.sha256(data).hexdigest(), "problem": detail[:200],
            "text": mask_text(blank_values(head, kind))}
