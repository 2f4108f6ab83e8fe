"""Amazon SNS (query protocol): topics, subscriptions, publishing, filter policies.

One class, its operations in mixins: topics.py, tags.py, subscriptions.py, publish.py;
deliveries by protocol in fanout.py, HTTP/S deliveries through a durable outbox on the
app clock (delivery.py), email ones recorded (email_outbox.py); the JSON envelope and
its signature in envelope.py / signing.py; SNS's own URLs (SubscribeURL,
UnsubscribeURL, SigningCertURL) in http_endpoints.py.  State lives in the store
(tables ``sns.*``, keys ``<account>/<region>/…``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cargobay.services.periodic import Periodic
from cargobay.services.sns.delivery import Deliveries
from cargobay.services.sns.email_outbox import EmailOutbox
from cargobay.services.sns.filter_policy import FilterPolicy
from cargobay.services.sns.http_endpoints import HttpEndpoints
from cargobay.services.sns.publish import PublishOps
from cargobay.services.sns.signing import Signer
from cargobay.services.sns.subscriptions import SubscriptionOps
from cargobay.services.sns.tags import TagOps
from cargobay.services.sns.topics import TopicOps

if TYPE_CHECKING:
    from cargobay.app import App

#: seconds between sweeps of expired FIFO deduplication IDs
SWEEP_INTERVAL = 60.0


class SnsService(TopicOps, TagOps, SubscriptionOps, PublishOps, HttpEndpoints):
    def __init__(self, app: App) -> None:
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self.signer = Signer(app.store, app.clock)
        self.deliveries = Deliveries(self)
        self.emails = EmailOutbox(app.config.data_dir)
        self._filters: dict[str, tuple[str, str, FilterPolicy | None]] = {}
        self._sweeps = Periodic(app.clock, SWEEP_INTERVAL, self.sweep_dedup, "sns-dedup-sweep")

    async def start(self) -> None:
        await self.deliveries.start()
        await self._sweeps.start()

    async def stop(self) -> None:
        await self._sweeps.stop()
        await self.deliveries.stop()

    def reset(self) -> None:
        """Forget what is held in memory (the store is cleared by the app)."""
        self.deliveries.reset()
        self.emails.reset()
        self.signer.reset()
        self._filters.clear()
