"""Property-based tests of each wire-format adapter (wire-formats 0.3, 0.5): whatever Hypothesis makes of a
document (fields deleted or given any JSON value, element texts replaced, bytes cut, inserted or
re-encoded, items of any composition), reading it through the adapter and its source's validation:

- never raises;
- accounts for every item: items == mapped + item dead letters + ignored, and as many items as the
  document was written with while it is still well-formed (else one unparseable item);
- accounts for every record: records == accepted + duplicate + record dead letters, with one raw
  message per accepted record and one dead-letter message per dead letter, nothing else;
- gives reasons of the contract only, each a wire or contract field;
- lets no planted personal data (holders', signers' and staff names, 12-digit ids) reach any message;
- depends on the document alone: the same document read again gives the same items, and sent again
  accepts nothing new.
"""

from __future__ import annotations

import re

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.adapters.registry import ADAPTERS
from connectors.dedup import IdentityIndex
from tests.conformance.kits import KITS, NAMES, Composition
from tests.conformance.test_adapters import ctx_for, total
from tests.faults.conftest import SCALES
from tests.personal_ids import DIGIT_BOUNDED, has_personal_id
from tests.wire_kit import run

EXAMPLES = {"quick": 25, "full": 400}
REASONS = re.compile(
    r"(too_large|unparseable|personal_id|future_time|(missing_field|bad_type|bad_enum):[A-Za-z_]+"
    r"|unknown_unit:.*)"
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**13), 10**13)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
PLANTED_ID = "012345678901"


@st.composite
def json_document(draw: st.DrawFn, name: str) -> tuple[bytes, int | None]:
    kit = KITS[name]
    c = Composition(draw(st.integers(0, 6)), draw(st.integers(0, 3)), draw(st.integers(0, 2)))
    body = orjson.loads(kit.write(c, draw(st.integers(0, 60)))[0].split(b"\n")[0])
    items = body["data"] if name == "dvcqg" else body["eventList"]
    for item in items:
        if not isinstance(item, dict) or not draw(st.booleans()):
            continue
        target = (
            item
            if name == "dvcqg"
            else item.get(draw(st.sampled_from(("commonEventHeader", "faultFields"))), {})
        )
        if target:
            key = draw(st.sampled_from(sorted(target)))
            action = draw(st.sampled_from(("delete", "value", "personal")))
            if action == "delete":
                del target[key]
            elif action == "value":
                target[key] = draw(JSON_VALUES)
            else:  # personal data where the format carries it (dvcqg), or anywhere (ves): never published
                item["SoGiayToChuHoSo" if name == "dvcqg" else "reportingEntityName"] = PLANTED_ID
    count = len(items) + (c.ignored if name == "dvcqg" else 0)
    if name == "dvcqg" and c.ignored:
        steps = {"service": "CapNhatTienDoHoSoMC", "data": [{"MaHoSo": "x"}] * c.ignored}
        return orjson.dumps(body) + b"\n" + orjson.dumps(steps), count
    return orjson.dumps(body), count


@st.composite
def xml_document(draw: st.DrawFn, name: str) -> tuple[bytes, int | None]:
    kit = KITS[name]
    c = (
        Composition(*draw(st.sampled_from(((1, 0, 0), (0, 1, 0), (0, 0, 1)))))
        if name == "edxml"
        else Composition(draw(st.integers(0, 5)), draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    )
    doc = kit.write(c, draw(st.integers(0, 60)))[0].decode()
    texts = list(re.finditer(r">([^<>]+)<", doc))
    if texts and draw(st.booleans()):  # an element's text becomes anything (escaped: still well-formed)
        m = draw(st.sampled_from(texts))
        new = draw(st.text(max_size=30)).replace("&", "&amp;").replace("<", "&lt;")
        new = "".join(
            ch
            for ch in new
            if ch in "\t\n\r"
            or (ord(ch) >= 0x20 and not 0xD800 <= ord(ch) <= 0xDFFF and ord(ch) not in (0xFFFE, 0xFFFF))
        )
        doc = doc[: m.start(1)] + new + doc[m.end(1) :]
    data = doc.encode()
    well_formed = True
    damage = draw(st.sampled_from(("none", "none", "cut", "insert", "utf16", "latin1")))
    if damage == "cut":
        data, well_formed = data[: draw(st.integers(0, max(len(data) - 1, 0)))], False
    elif damage == "insert":
        at = draw(st.integers(0, len(data)))
        data, well_formed = (
            data[:at] + draw(st.sampled_from((b"<", b"&", b"\xff", b"<!DOCTYPE x>"))) + data[at:],
            False,
        )
    elif damage == "utf16":
        data = data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    elif damage == "latin1":
        data, well_formed = data.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'), False
    return data, (c.items if well_formed else None)


@st.composite
def portal_document(draw: st.DrawFn, name: str) -> tuple[bytes, int | None]:
    """The portal's JSON as the kit writes it, whole or cut short (then unreadable: one item)."""
    c = Composition(draw(st.integers(0, 6)), draw(st.integers(0, 3)), draw(st.integers(0, 2)))
    data = KITS[name].write(c, draw(st.integers(0, 60)))[0].rstrip()
    if draw(st.booleans()):
        return data[: draw(st.integers(0, max(len(data) - 1, 0)))], None
    return data, c.items


def document(name: str) -> st.SearchStrategy[tuple[bytes, int | None]]:
    if name == "portal766":
        return portal_document(name)
    return json_document(name) if name in ("dvcqg", "ves") else xml_document(name)


def check(name: str, body: bytes, items: int | None) -> None:
    kit = KITS[name]
    index = IdentityIndex()
    prepared = run(name, body, kit.meta, index=index, ctx=ctx_for(kit))
    t = total([prepared])
    assert t["items"] == t["mapped"] + t["item_dead"] + t["ignored"]
    if items is not None:
        assert t["items"] == items
    else:  # damaged: either still read (a cut may leave a whole document) or one unparseable item
        assert t["items"] >= 1
    assert t["records"] == t["accepted"] + t["duplicate"] + (t["dead_lettered"] - t["item_dead"])
    raws = [m for m in prepared.messages if ".raw." in m.topic]
    dead = [m for m in prepared.messages if ".dlq." in m.topic]
    assert (len(raws), len(dead), len(prepared.messages)) == (
        t["accepted"],
        t["dead_lettered"],
        t["accepted"] + t["dead_lettered"],
    )
    for m in dead:
        assert REASONS.fullmatch(orjson.loads(m.value)["reason"]), m.value
    # what a message carries from the wire (a dead letter's id is random hex: it may hold 12 digits)
    blob = b"".join(m.value for m in raws) + "".join(orjson.loads(m.value)["record"] for m in dead).encode()
    assert not any(n.encode() in blob for n in NAMES) and PLANTED_ID.encode() not in blob
    for value in [orjson.loads(m.value) for m in raws] + [
        orjson.loads(orjson.loads(m.value)["record"]) for m in dead
    ]:
        assert not has_personal_id(value), value  # structurally: a digest or id in hex is not one
        kept = value.get("item", {}).get("text") if isinstance(value.get("item"), dict) else None
        assert kept is None or not DIGIT_BOUNDED.search(kept.encode())  # a document's kept text
    again = list(ADAPTERS[name].read(body, kit.meta, ctx_for(kit)))
    assert again == list(ADAPTERS[name].read(body, kit.meta, ctx_for(kit)))
    resent = total([run(name, body, kit.meta, index=index, ctx=ctx_for(kit))])
    assert resent["accepted"] == 0 and resent["duplicate"] == t["accepted"] + t["duplicate"]


def run_property(name: str, scale: str) -> None:
    @settings(
        max_examples=EXAMPLES[scale], deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(document(name))
    def prop(case: tuple[bytes, int | None]) -> None:
        check(name, *case)

    prop()


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("name", list(KITS))
def test_any_document_is_accounted_and_private(name: str, scale: str) -> None:
    run_property(name, scale)
