"""Which snapshots a new broker epoch can start from (streams/engine/checkpoints.py).

The embedded broker starts empty. `ioc run` then begins a new epoch: if every stage partition has a
usable snapshot of the last complete checkpoint, the epoch is seeded from it and only the archive
from that checkpoint on is republished; otherwise everything is, and every stage folds from offset 0.
All or nothing: a combine partition's snapshot is only consistent with the fold snapshots of the
same checkpoint.
"""
from __future__ import annotations

import time

from contract.settings import Settings
from contract.topology import Topology
from streams.engine.checkpoints import FORMAT, CheckpointStore, Epoch
from streams.engine.combine_stage import combine_fingerprint
from streams.engine.fold_stage import fold_fingerprint
from streams.kpis.index766.rules import Index766
from streams.kpis.registry import KPIS


def stage_fingerprints(settings: Settings, topology: Topology, index766: Index766 | None) -> dict[str, str]:
    """Every stage's name and the fingerprint its snapshots must carry."""
    out: dict[str, str] = {}
    for flow in topology.kpi_flows:
        kpis, p = KPIS[flow.source], topology.partitions
        out[f"fold.{flow.source}"] = fold_fingerprint(kpis, settings.units, settings.late_us, p)
        scores = index766 if flow.kpi_domain == topology.index_input else None
        out[f"combine.{flow.source}"] = combine_fingerprint(kpis, settings.units, p, scores)
    return out


def seedable(store: CheckpointStore, checkpoint: int, fingerprints: dict[str, str], partitions: int) -> bool:
    """Does every partition of every stage have a usable snapshot of `checkpoint`?"""
    for stage, fingerprint in fingerprints.items():
        for partition in range(partitions):
            if not any(h.checkpoint == checkpoint and h.format == FORMAT and h.fingerprint == fingerprint
                       and h.partitions == partitions for h in store.headers(stage, partition)):
                return False
    return True


def begin_epoch(store: CheckpointStore, settings: Settings, topology: Topology,
                index766: Index766 | None) -> Epoch:
    """The next epoch of the embedded broker, seeded from the last complete checkpoint when every
    stage partition has a usable snapshot of it (else from the whole archive: seeded_from None)."""
    complete = store.complete()
    fingerprints = stage_fingerprints(settings, topology, index766)
    seeded = complete if complete is not None and seedable(store, complete, fingerprints,
                                                           topology.partitions) else None
    # Numbered by the clock, not a counter: a store restored from a backup, or state carried to
    # another machine, never meets an incarnation of the same number again (sink offsets count in it).
    epoch = Epoch(max(store.epoch().number + 1, time.time_ns() // 1000), seeded)
    store.begin(epoch)
    return epoch
