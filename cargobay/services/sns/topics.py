"""CreateTopic, DeleteTopic, ListTopics, Get/SetTopicAttributes, Add/RemovePermission.

CreateTopic is idempotent by name: the same name with no attributes or tags, or with
the ones the topic has, answers the existing ARN; different ones are refused ("Topic
already exists with different attributes/tags").  DeleteTopic of a topic that does not
exist succeeds, and deletes the topic's subscriptions.
"""

from __future__ import annotations

import json
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.sns import names, topic_attributes
from cargobay.services.sns.base import SnsBase
from cargobay.services.sns.errors import NotFound, invalid
from cargobay.services.sns.names import TopicRef
from cargobay.services.sns.tags import check_tags

Doc = dict[str, Any]

PAGE = 100


class TopicOps(SnsBase):
    def create_topic(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        name: str = req["Name"]
        given: dict[str, str] = dict(req.get("Attributes") or {})
        data_policy: str | None = req.get("DataProtectionPolicy")
        fifo_flag = str(given.get("FifoTopic", "false")).lower() == "true"
        names.check_topic_name(name, fifo_flag)
        fifo, stored = topic_attributes.creation_attributes(given, name)
        if data_policy is not None:
            _check_json("DataProtectionPolicy", data_policy)
        tags = check_tags(req.get("Tags") or [])
        ref = TopicRef(ctx.account_id, ctx.region, name)
        existing = self.topic_doc(ref)
        if existing is not None:
            if topic_attributes.differs(existing["attributes"], given):
                raise invalid("Attributes", "Topic already exists with different attributes")
            if tags and any(existing["tags"].get(k) != v for k, v in tags.items()):
                raise invalid("Tags", "Topic already exists with different tags")
            return {"TopicArn": ref.arn}
        doc: Doc = {
            "arn": ref.arn, "name": name, "account": ref.account, "region": ref.region,
            "fifo": fifo, "attributes": stored, "tags": tags, "created": self.clock.now(),
            "seq": 0, "deleted": 0,
        }
        if data_policy is not None:
            doc["dataProtectionPolicy"] = data_policy
        self.store.put(names.TOPICS, ref.key, doc)
        return {"TopicArn": ref.arn}

    def delete_topic(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        ref = names.local_topic(ctx, req["TopicArn"])
        subs = list(self.topic_subs(ref))
        with self.store.batch():
            for key, sub in subs:
                self.store.delete(names.SUBSCRIPTIONS, key)
                if sub.get("token"):
                    self.store.delete(names.TOKENS, sub["token"])
            self.store.delete(names.TOPICS, ref.key)
        return {}

    def list_topics(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        prefix = names.scope_prefix(ctx.account_id, ctx.region)
        after = names.decode_token(req.get("NextToken"), prefix)
        page: list[Doc] = []
        last = ""
        more = False
        for key, doc in self.store.scan(names.TOPICS, prefix, after):
            if len(page) == PAGE:
                more = True
                break
            page.append({"TopicArn": doc["arn"]})
            last = key
        out: dict[str, Any] = {"Topics": page}
        if more:
            out["NextToken"] = names.encode_token(last)
        return out

    def get_topic_attributes(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.topic(ctx, req["TopicArn"])
        counts = {"pending": 0, "confirmed": 0}
        for _, sub in self.topic_subs(names.topic_ref(doc["arn"])):
            counts["pending" if sub.get("pending") else "confirmed"] += 1
        return {"Attributes": topic_attributes.describe(doc, counts)}

    def set_topic_attributes(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.topic(ctx, req["TopicArn"])
        name: str = req["AttributeName"]
        value: str = req.get("AttributeValue") or ""
        stored = topic_attributes.check_value(name, value, bool(doc.get("fifo")))
        if stored == "" and name != "DisplayName":
            doc["attributes"].pop(name, None)
        else:
            doc["attributes"][name] = stored
        self.store.put(names.TOPICS, names.topic_ref(doc["arn"]).key, doc)
        return {}

    # -- permissions (statements of the topic's Policy) ----------------------------------
    def add_permission(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.topic(ctx, req["TopicArn"])
        policy = self._policy(doc)
        label: str = req["Label"]
        if any(s.get("Sid") == label for s in policy["Statement"]):
            raise invalid("Statement already exists")
        actions = req["ActionName"]
        for a in actions:
            if ":" in a and not a.lower().startswith("sns:"):
                raise invalid("Policy statement action out of service scope!")
        policy["Statement"].append({
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{acct}:root" for acct in req["AWSAccountId"]]},
            "Action": [f"SNS:{a.split(':', 1)[-1]}" for a in actions],
            "Resource": doc["arn"],
        })
        self._save_policy(doc, policy)
        return {}

    def remove_permission(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.topic(ctx, req["TopicArn"])
        policy = self._policy(doc)
        kept = [s for s in policy["Statement"] if s.get("Sid") != req["Label"]]
        if len(kept) == len(policy["Statement"]):
            raise NotFound("Statement does not exist")
        policy["Statement"] = kept
        self._save_policy(doc, policy)
        return {}

    def _policy(self, doc: Doc) -> Doc:
        text = doc["attributes"].get("Policy") or topic_attributes.default_policy(
            doc["account"], doc["arn"])
        policy = json.loads(text)
        if not isinstance(policy.get("Statement"), list):
            policy["Statement"] = [policy["Statement"]] if policy.get("Statement") else []
        return dict(policy)

    def _save_policy(self, doc: Doc, policy: Doc) -> None:
        doc["attributes"]["Policy"] = json.dumps(policy, separators=(",", ":"))
        self.store.put(names.TOPICS, names.topic_ref(doc["arn"]).key, doc)

    # -- data protection policy -----------------------------------------------------------
    def get_data_protection_policy(self, ctx: RequestContext, req: dict[str, Any]
                                   ) -> dict[str, Any]:
        doc = self.topic(ctx, req["ResourceArn"], "ResourceArn")
        return {"DataProtectionPolicy": doc.get("dataProtectionPolicy", "")}

    def put_data_protection_policy(self, ctx: RequestContext, req: dict[str, Any]
                                   ) -> dict[str, Any]:
        doc = self.topic(ctx, req["ResourceArn"], "ResourceArn")
        _check_json("DataProtectionPolicy", req["DataProtectionPolicy"])
        doc["dataProtectionPolicy"] = req["DataProtectionPolicy"]
        self.store.put(names.TOPICS, names.topic_ref(doc["arn"]).key, doc)
        return {}


def _check_json(name: str, text: str) -> None:
    try:
        doc = json.loads(text)
    except ValueError:
        raise invalid(name, "failed to parse JSON.") from None
    if not isinstance(doc, dict):
        raise invalid(name, "must be a JSON object")
