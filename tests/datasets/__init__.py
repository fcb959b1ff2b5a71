"""Hand-made data sets for the e-office, population and telecom sources, with KPI values worked
out by hand from the data contract (sections 2.2-2.4, 3, 4, 5 and 7). Nothing here is computed
by the project's code: every expected number is written out and explained in its source's module.

Units: communes A = 03388 (Đoàn Kết), B = 03408 (Tân Phong), C = 03390 (Bình Lư), D = 03394
(Sin Suối Hồ); agencies S = 12.SNV (Home Affairs), T = 12.STC (Finance); province P = 12.
Times are local (+07:00) unless written in UTC on purpose. "Now" is 2026-11-22 (the records are all
in the past except the one meant to be `future_time`). Periods: day / month / quarter / year in
local time; live KPIs have grain and period `live`.

Each source has PHASE1 (first batch, with duplicates and every bad record), PHASE2 (late and
corrected records), EXPECTED_PHASE1 / ABSENT_PHASE1 (after phase 1) and EXPECTED / ABSENT (after
phase 2; for telecom also after the cut-off steps, see TEL_STEPS). EXPECTED maps
(kpi, unit, grain, period) -> (value, numerator, denominator); ABSENT lists rows that must not exist.

One module a source (eoffice, population, telecom), each with its hand-worked values in its
docstring; common holds the unit codes and helpers they share. Every name is re-exported here,
so that `from tests import datasets as ds` gives `ds.EOFFICE_PHASE1`, `ds.A`, `ds.reasons`, ...
"""
from __future__ import annotations

from tests.datasets.common import (  # re-exported
    BIG,
    LIVE,
    A,
    B,
    C,
    D,
    Key,
    L,
    P,
    Row,
    S,
    T,
    drop,
    reasons,
)
from tests.datasets.eoffice import (  # re-exported
    E1,
    E1_RESENT,
    E2_P1,
    E2_P2,
    E3,
    E4,
    E4_RESENT_UTC,
    E5,
    E6,
    E7,
    E8_P1,
    E8_P2,
    E9,
    E10,
    E11,
    E12,
    E13,
    EOFFICE_ABSENT,
    EOFFICE_ABSENT_PHASE1,
    EOFFICE_ACCEPTED_PHASE1,
    EOFFICE_ACCEPTED_PHASE2,
    EOFFICE_BAD,
    EOFFICE_DUPLICATES_PHASE1,
    EOFFICE_EXPECTED,
    EOFFICE_EXPECTED_PHASE1,
    EOFFICE_PHASE1,
    EOFFICE_PHASE2,
    doc,
)
from tests.datasets.population import (  # re-exported
    POP_ABSENT,
    POP_ABSENT_PHASE1,
    POP_ACCEPTED_PHASE1,
    POP_ACCEPTED_PHASE2,
    POP_ACTIVATIONS_P1,
    POP_BAD,
    POP_DUPLICATES_PHASE1,
    POP_EXPECTED,
    POP_EXPECTED_PHASE1,
    POP_PA03_RESENT,
    POP_PHASE1,
    POP_PHASE2,
    POP_VERIFICATIONS_P1,
    RAW_CITIZEN,
    RAW_EVENT,
    RAW_EVENT_BAD,
    RAW_IDS_POPULATION,
    act,
    pop,
    ver,
)
from tests.datasets.telecom import (  # re-exported
    TEL_ABSENT,
    TEL_ABSENT_PHASE1,
    TEL_ACCEPTED_PHASE1,
    TEL_ACCEPTED_PHASE2,
    TEL_ALARMS_P1,
    TEL_BAD,
    TEL_DUPLICATES_PHASE1,
    TEL_EXPECTED,
    TEL_EXPECTED_PHASE1,
    TEL_EXPECTED_PHASE2,
    TEL_INVENTORY_P1,
    TEL_PHASE1,
    TEL_PHASE2,
    TEL_PM_P1,
    TEL_STEPS,
    Y,
    alarm,
    pm,
    site,
    tel_live,
)
