"""Retention on the clock: events older than their group's retentionInDays are deleted.

Reads already hide such events the moment they pass the cutoff (read_events uses
:meth:`LogsBase.retention_cutoff`); the sweep frees their storage every
``SWEEP_INTERVAL`` seconds of clock time, and updates the streams' storedBytes.
"""

from __future__ import annotations

import logging

from cargobay.services.logs import names
from cargobay.services.logs.base import LogsBase
from cargobay.services.logs.names import GroupRef

log = logging.getLogger("cargobay.logs")

SWEEP_INTERVAL = 600.0
#: deletions per store batch
_BATCH = 1000


class RetentionSweep(LogsBase):
    def sweep_retention(self) -> int:
        """Delete every event past its group's retention; the number deleted."""
        deleted = 0
        for key, group in list(self.store.scan(names.GROUPS)):
            if not group.get("retentionInDays"):
                continue
            account, region, name = key.split("/", 2)
            ref = GroupRef(account, region, name)
            cutoff = self.retention_cutoff(group)
            for skey, stream in list(self.store.scan(names.STREAMS, ref.streams_prefix)):
                deleted += self._sweep_stream(skey, stream, cutoff)
        return deleted

    def _sweep_stream(self, skey: str, stream: dict[str, object], cutoff: int) -> int:
        prefix = skey + ":"
        old: list[tuple[str, int]] = []
        for key, doc in self.store.scan(names.EVENTS, prefix):
            if int(doc["t"]) >= cutoff:
                break  # keys are in timestamp order
            old.append((key, len(str(doc["m"]).encode("utf-8"))))
        if not old:
            return 0
        for i in range(0, len(old), _BATCH):
            with self.store.batch():
                for key, _ in old[i : i + _BATCH]:
                    self.store.delete(names.EVENTS, key)
        fresh = self.store.get(names.STREAMS, skey)
        if fresh is not None:
            stored = int(str(fresh.get("storedBytes", 0))) - sum(n for _, n in old)
            fresh["storedBytes"] = max(0, stored)
            self.store.put(names.STREAMS, skey, fresh)
        return len(old)
