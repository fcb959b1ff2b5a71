"""The privacy sweep's rule for a planted id (tests/faults/privacy_scan.py): out as a personal id it is a
finding; glued to a replacement character by a re-encoding it is a longer string (contract 7)."""
from __future__ import annotations

from tests.faults.privacy_scan import Findings

PLANTED = "063259032117"


def findings(blob: bytes) -> list[str]:
    f = Findings([PLANTED], {})
    f.bytes_("here", blob)
    return f.items


def test_a_planted_id_as_a_value_or_inside_text_is_found() -> None:
    assert findings(b'{"note":"063259032117"}')
    assert findings(b"id 063259032117 in a log line")
    assert findings(b'{"a":"063259032117?","b":"063259032117"}')  # one occurrence stands alone


def test_a_planted_id_glued_to_a_replacement_character_is_a_longer_string() -> None:
    assert not findings(b'{"note":"063259032117?"}')
    assert not findings('{"note":"063259032117\ufffd"}'.encode())
    assert not findings(b'{"note":"\\ufffd063259032117"}')
    assert not findings(b'{"note":"0632590321170"}')  # 13 digits
