"""Subscribe, ConfirmSubscription, Unsubscribe, ListSubscriptions(ByTopic),
Get/SetSubscriptionAttributes.

- Subscribe is idempotent per (topic, protocol, endpoint): the same subscription again
  answers the existing ARN (or "pending confirmation"), with different attributes it is
  refused.  SQS subscriptions of the topic's own account are confirmed at once; http/s
  and email ones, and SQS queues of another account, wait for the endpoint's owner:
  a SubscriptionConfirmation carrying a token (valid three days) and a SubscribeURL is
  sent to the endpoint, and ConfirmSubscription with that token (or a GET of the URL)
  confirms.  Without ReturnSubscriptionArn, Subscribe answers "pending confirmation"
  for those.
- ConfirmSubscription through the API is authenticated (ConfirmationWasAuthenticated
  true; AuthenticateOnUnsubscribe then forbids unauthenticated unsubscribes); through
  the SubscribeURL it is not.
- Unsubscribe is idempotent.  Through the UnsubscribeURL (unauthenticated) an http/s
  endpoint gets an UnsubscribeConfirmation whose SubscribeURL restores the
  subscription.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.sns import endpoints, names, subscription_attributes
from cargobay.services.sns.errors import (
    AuthorizationError,
    InvalidParameter,
    invalid,
    topic_not_found,
)
from cargobay.services.sns.fanout import Fanout
from cargobay.services.sns.names import SubRef

Doc = dict[str, Any]

PAGE = 100
TOKEN_LIFETIME = 3 * 86_400.0
PENDING = "pending confirmation"
#: the protocol name cargobay gives requests that come in through SNS's own URLs
UNAUTHENTICATED = "unauthenticated"


class SubscriptionOps(Fanout):
    async def subscribe(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        topic = self.topic(ctx, req["TopicArn"])
        tref = names.topic_ref(topic["arn"])
        protocol: str = req["Protocol"]
        endpoint = endpoints.check(protocol, req.get("Endpoint"), bool(topic.get("fifo")))
        probe: Doc = {"protocol": protocol, "endpoint": endpoint}
        attrs: Doc = {}
        for name, value in (req.get("Attributes") or {}).items():
            attrs = subscription_attributes.check(name, value, attrs, probe,
                                                  bool(topic.get("fifo")), on_subscribe=True)
        want_arn = bool(req.get("ReturnSubscriptionArn"))
        for _, sub in self.topic_subs(tref):
            if sub["protocol"] != protocol or sub["endpoint"] != endpoint:
                continue
            if any(sub["attributes"].get(k) != v for k, v in attrs.items()):
                raise invalid("Attributes",
                              "Subscription already exists with different attributes")
            if sub.get("pending") and protocol in ("http", "https"):
                await self.send_confirmation("SubscriptionConfirmation", topic, sub,
                                             sub["token"])
            return {"SubscriptionArn": PENDING if sub.get("pending") and not want_arn
                    else sub["arn"]}
        ref = SubRef(tref, str(uuid.uuid4()))
        owner_confirms = protocol in endpoints.CONFIRMED_BY_OWNER or (
            protocol == "sqs" and endpoints.queue_of(endpoint)[1] != tref.account)
        attrs.setdefault("RawMessageDelivery", "false")
        sub = {
            "arn": ref.arn, "key": ref.key, "topicArn": tref.arn, "protocol": protocol,
            "endpoint": endpoint, "owner": ctx.account_id, "attributes": attrs,
            "pending": owner_confirms, "authenticated": not owner_confirms,
            "authOnUnsubscribe": False, "created": self.clock.now(),
        }
        if owner_confirms:
            sub["token"] = self._new_token(ref, sub)
        self.store.put(names.SUBSCRIPTIONS, ref.key, sub)
        if owner_confirms:
            await self.send_confirmation("SubscriptionConfirmation", topic, sub, sub["token"])
            if not want_arn:
                return {"SubscriptionArn": PENDING}
        return {"SubscriptionArn": ref.arn}

    def _new_token(self, ref: SubRef, sub: Doc, restore: bool = False) -> str:
        token = secrets.token_hex(64)
        doc: Doc = {"sub": ref.key, "expires": self.clock.now() + TOKEN_LIFETIME}
        if restore:
            doc["restore"] = sub
        self.store.put(names.TOKENS, token, doc)
        return token

    async def confirm_subscription(self, ctx: RequestContext, req: dict[str, Any]
                                   ) -> dict[str, Any]:
        try:
            tref = names.topic_ref(req["TopicArn"])
        except InvalidParameter:
            raise invalid("Topic") from None
        token: str = req["Token"]
        entry = self.store.get(names.TOKENS, token) if token else None
        if entry is None or entry["expires"] < self.clock.now() or not str(
                entry["sub"]).startswith(tref.subs_prefix):
            raise invalid("Token")
        topic = self.topic_doc(tref)
        if topic is None:
            raise topic_not_found()
        authenticated = ctx.protocol != UNAUTHENTICATED
        sub = self.store.get(names.SUBSCRIPTIONS, entry["sub"])
        if sub is None:
            restore = entry.get("restore")
            if restore is None:
                raise invalid("Token")
            sub = restore
            sub["pending"] = True
            sub.pop("token", None)
        if sub.get("pending"):
            sub["pending"] = False
            sub["authenticated"] = authenticated
            sub["authOnUnsubscribe"] = authenticated and str(
                req.get("AuthenticateOnUnsubscribe", "")).lower() == "true"
            self.store.put(names.SUBSCRIPTIONS, sub["key"], sub)
        return {"SubscriptionArn": sub["arn"]}

    async def unsubscribe(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        arn: str = req["SubscriptionArn"]
        ref = names.sub_ref(arn)
        if ref is None:
            count = len(arn.split(":"))
            if count < 6:
                raise invalid("SubscriptionArn",
                              f"An ARN must have at least 6 elements, not {count}")
            raise invalid("SubscriptionId")
        sub = self.sub_doc(ref)
        if sub is None:
            return {}
        unauthenticated = ctx.protocol == UNAUTHENTICATED
        if unauthenticated and sub.get("authOnUnsubscribe"):
            raise AuthorizationError(
                "Unsubscribing this subscription requires an authenticated request")
        with self.store.batch():
            self.store.delete(names.SUBSCRIPTIONS, ref.key)
            if sub.get("token"):
                self.store.delete(names.TOKENS, sub["token"])
            topic = self.topic_doc(ref.topic)
            if topic is not None:
                topic["deleted"] = int(topic.get("deleted", 0)) + 1
                self.store.put(names.TOPICS, ref.topic.key, topic)
        self._filters.pop(arn, None)
        if topic is not None and unauthenticated and sub["protocol"] in ("http", "https"):
            restore = {k: v for k, v in sub.items() if k != "token"}
            token = self._new_token(ref, restore, restore=True)
            await self.send_confirmation("UnsubscribeConfirmation", topic, sub, token)
        return {}

    def list_subscriptions(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        prefix = names.scope_prefix(ctx.account_id, ctx.region)
        return self._page(prefix, req.get("NextToken"))

    def list_subscriptions_by_topic(self, ctx: RequestContext, req: dict[str, Any]
                                    ) -> dict[str, Any]:
        topic = self.topic(ctx, req["TopicArn"])
        return self._page(names.topic_ref(topic["arn"]).subs_prefix, req.get("NextToken"))

    def _page(self, prefix: str, token: str | None) -> dict[str, Any]:
        after = names.decode_token(token, prefix)
        page: list[Doc] = []
        last = ""
        more = False
        for key, sub in self.store.scan(names.SUBSCRIPTIONS, prefix, after):
            if len(page) == PAGE:
                more = True
                break
            page.append({
                "SubscriptionArn": "PendingConfirmation" if sub.get("pending") else sub["arn"],
                "Owner": sub["owner"], "Protocol": sub["protocol"],
                "Endpoint": sub["endpoint"], "TopicArn": sub["topicArn"],
            })
            last = key
        out: dict[str, Any] = {"Subscriptions": page}
        if more:
            out["NextToken"] = names.encode_token(last)
        return out

    def get_subscription_attributes(self, ctx: RequestContext, req: dict[str, Any]
                                    ) -> dict[str, Any]:
        ref, sub = self.subscription(req["SubscriptionArn"])
        topic = self.topic_doc(ref.topic)
        return {"Attributes": subscription_attributes.describe(
            sub, topic["attributes"] if topic else None)}

    def set_subscription_attributes(self, ctx: RequestContext, req: dict[str, Any]
                                    ) -> dict[str, Any]:
        ref, sub = self.subscription(req["SubscriptionArn"])
        sub["attributes"] = subscription_attributes.check(
            req["AttributeName"], req.get("AttributeValue") or "", sub["attributes"], sub,
            ref.topic.fifo, on_subscribe=False)
        self.store.put(names.SUBSCRIPTIONS, ref.key, sub)
        return {}
