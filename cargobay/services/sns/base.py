"""What every SNS mixin uses: the store, the clock, topic and subscription lookup, and
the URLs SNS hands out (SubscribeURL, UnsubscribeURL, SigningCertURL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from cargobay.clock import Clock
from cargobay.protocol.base import RequestContext
from cargobay.services.sns import names
from cargobay.services.sns.errors import subscription_not_found, topic_not_found
from cargobay.services.sns.names import SubRef, TopicRef
from cargobay.store import Store

if TYPE_CHECKING:
    from cargobay.app import App

Doc = dict[str, Any]

#: where cargobay serves SNS's own HTTP endpoints (confirmation links, the certificate)
HTTP_PREFIX = "/_cargobay/sns/"


class SnsBase:
    app: App
    store: Store
    clock: Clock

    # -- lookup ------------------------------------------------------------------------
    def topic_doc(self, ref: TopicRef) -> Doc | None:
        return self.store.get(names.TOPICS, ref.key)

    def topic(self, ctx: RequestContext, arn: str, what: str = "TopicArn") -> Doc:
        """The topic ``arn`` names in the caller's region (NotFound if there is none)."""
        doc = self.topic_doc(names.local_topic(ctx, arn, what))
        if doc is None:
            raise topic_not_found()
        return doc

    def sub_doc(self, ref: SubRef) -> Doc | None:
        return self.store.get(names.SUBSCRIPTIONS, ref.key)

    def subscription(self, arn: str) -> tuple[SubRef, Doc]:
        ref = names.sub_ref(arn)
        doc = self.sub_doc(ref) if ref is not None else None
        if ref is None or doc is None:
            raise subscription_not_found()
        return ref, doc

    def topic_subs(self, ref: TopicRef) -> Iterator[tuple[str, Doc]]:
        return self.store.scan(names.SUBSCRIPTIONS, ref.subs_prefix)

    # -- URLs --------------------------------------------------------------------------
    def base_url(self) -> str:
        cfg = self.app.config
        host = cfg.host
        if host in ("0.0.0.0", "", "::"):
            host = "127.0.0.1"
        return f"http://{host}:{cfg.port}"

    def http_url(self, path: str = "", **query: str) -> str:
        url = self.base_url() + HTTP_PREFIX + path
        return url + ("?" + urlencode(query) if query else "")

    def subscribe_url(self, topic_arn: str, token: str) -> str:
        return self.http_url(Action="ConfirmSubscription", TopicArn=topic_arn, Token=token)

    def unsubscribe_url(self, sub_arn: str) -> str:
        return self.http_url(Action="Unsubscribe", SubscriptionArn=sub_arn)
