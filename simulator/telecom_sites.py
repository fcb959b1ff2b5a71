"""The base-station inventory the telecom generator works on (contract 2.4, `site` records).

Lai Châu had ~2,100 BTS in 2025 (domain file section 6), 55 of them 5G, from four operators that
matter by size. Sites are spread over the communes by area and population (wards and district
seats denser), each covering one to three of its commune's ~25 villages.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from contract.units import Unit
from simulator.clock import DAY
from simulator.world import World

OPERATORS = ("viettel", "vnpt", "mobifone", "vietnamobile")
OPERATOR_SHARES = (45, 30, 18, 7)
OPERATOR_CODES = {"viettel": "VTL", "vnpt": "VNP", "mobifone": "MBF", "vietnamobile": "VNM"}
VILLAGES_PER_COMMUNE = (18, 32)      # 956 villages over 38 communes
# inventories re-registered under the new communes (1 July 2025, 00:00 local time)
MERGER = datetime(2025, 7, 1, tzinfo=timezone(timedelta(hours=7))).timestamp()


@dataclass(frozen=True, slots=True)
class Site:
    site_id: str
    operator: str
    commune: Unit
    technologies: tuple[str, ...]
    villages: tuple[str, ...]
    valid_from: float
    load: float          # traffic relative to an average site
    data_factor: float   # data volume relative to a 4G site
    delay_s: float       # when this operator's counter file for a quarter hour arrives


def layout(world: World) -> list[Site]:
    """The same sites for the same seed and site count."""
    rng = random.Random(f"{world.seed}:telecom-sites:{world.sites}")
    communes = world.communes
    weights = [world.commune_weight(u, ward=1.6, seat=1.3, remote=0.8) for u in communes]
    counts = _apportion(world.sites, weights)
    delays = {op: rng.uniform(60, 300) for op in OPERATORS}
    sites: list[Site] = []
    for commune, n, weight in zip(communes, counts, weights):
        villages = [f"V{commune.code}-{i:02d}" for i in range(1, rng.randint(*VILLAGES_PER_COMMUNE) + 1)]
        numbers: dict[str, int] = {}
        for _ in range(n):
            op = rng.choices(OPERATORS, OPERATOR_SHARES)[0]
            numbers[op] = numbers.get(op, 0) + 1
            site_id = f"{OPERATOR_CODES[op]}-{commune.code}-{numbers[op]:03d}"
            covers = tuple(sorted(rng.sample(villages, min(len(villages), rng.choice((1, 1, 2, 2, 3))))))
            techs = _technologies(rng, weight)
            data_factor = 1.8 if "5G" in techs else (1.0 if "4G" in techs else 0.15)
            sites.append(Site(site_id, op, commune, techs, covers, _valid_from(rng, world.start),
                              weight * math.exp(rng.gauss(0, 0.5)), data_factor, delays[op]))
    return sites


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Largest remainder: counts proportional to the weights that sum exactly to `total`."""
    share = [total * w / sum(weights) for w in weights]
    counts = [int(s) for s in share]
    by_remainder = sorted(range(len(share)), key=lambda i: share[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _technologies(rng: random.Random, weight: float) -> tuple[str, ...]:
    techs = [t for t, p in (("2G", 0.85), ("3G", 0.55), ("4G", 0.93)) if rng.random() < p]
    if weight > 1.2 and rng.random() < 0.095:
        techs.append("5G")             # ~55 sites, in wards and former district seats
    return tuple(techs or ["4G"])


def _valid_from(rng: random.Random, start: float) -> float:
    """Most inventories date from the merger; newer sites were built since (always before start)."""
    since = min(MERGER, start - 30 * DAY)
    if rng.random() < 0.85 or start - since < 2 * DAY:
        return since
    return rng.uniform(since, start - DAY)


def site_record(site: Site, iso: str) -> dict[str, object]:
    return {"kind": "site", "site_id": site.site_id, "operator": site.operator, "commune": site.commune.code,
            "technologies": list(site.technologies), "villages": list(site.villages), "valid_from": iso}
