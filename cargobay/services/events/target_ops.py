"""PutTargets, RemoveTargets, ListTargetsByRule, ListRuleNamesByTarget.

- PutTargets adds or replaces targets by Id, up to 5 per rule (LimitExceededException
  past that, nothing written).  A target is checked as a whole request: an ARN that is
  not one, more than one of Input / InputPath / InputTransformer, Input that is not
  JSON, a bad JSON path, an ECS target without EcsParameters or RoleArn, a FIFO queue
  without SqsParameters.MessageGroupId, a dead-letter queue that is not an SQS queue —
  each is ValidationException.  ``FailedEntries`` lists targets that could not be
  written for any other reason (none in practice: one store batch writes them all).
- RemoveTargets removes the given Ids; Ids the rule does not have are ignored.
"""

from __future__ import annotations

import json
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.events import names
from cargobay.services.events.base import TARGETS_PER_RULE, EventsBase
from cargobay.services.events.errors import LimitExceededException, ValidationException
from cargobay.services.events.input_transform import PREDEFINED, PathError, parse_path

Doc = dict[str, Any]
MAX_PAGE = 100


def is_ecs_cluster(arn: names.Arn) -> bool:
    return arn.service == "ecs" and arn.resource.startswith("cluster/")


def check_target(t: Doc) -> None:
    tid = t["Id"]
    arn = names.parse_arn(t["Arn"])
    if arn is None:
        raise ValidationException(
            f"Parameter {t['Arn']} is not valid. Reason: Provided Arn is not in correct format."
        )
    given = [k for k in ("Input", "InputPath", "InputTransformer") if k in t]
    if len(given) > 1:
        raise ValidationException(
            f"Target {tid}: only one of Input, InputPath or InputTransformer may be given."
        )
    if "Input" in t:
        try:
            json.loads(t["Input"])
        except ValueError:
            raise ValidationException(
                f"Parameter Input is not valid. Reason: Input of target {tid} is not valid "
                "JSON text."
            ) from None
    if "InputPath" in t:
        _check_path(tid, t["InputPath"])
    transformer = t.get("InputTransformer")
    if transformer is not None:
        for name, path in (transformer.get("InputPathsMap") or {}).items():
            if name in PREDEFINED or name.startswith("aws."):
                raise ValidationException(
                    f"InputTransformer of target {tid}: the name {name} is reserved."
                )
            _check_path(tid, path)
    if is_ecs_cluster(arn):
        if "EcsParameters" not in t:
            raise ValidationException(
                f"Parameter(s) EcsParameters must be specified for target: {tid}."
            )
        if not t.get("RoleArn"):
            raise ValidationException(f"Parameter(s) RoleArn must be specified for target: {tid}.")
    elif "EcsParameters" in t:
        raise ValidationException(
            f"Parameter(s) EcsParameters can only be specified for an ECS cluster target: {tid}."
        )
    if arn.service == "sqs" and arn.resource.endswith(".fifo") and not (
        t.get("SqsParameters") or {}
    ).get("MessageGroupId"):
        raise ValidationException(
            f"Parameter(s) SqsParameters must be specified for target: {tid}."
        )
    dlq = (t.get("DeadLetterConfig") or {}).get("Arn")
    if dlq is not None:
        parsed = names.parse_arn(dlq)
        if parsed is None or parsed.service != "sqs":
            raise ValidationException(
                f"Parameter DeadLetterConfig.Arn is not valid. Reason: {dlq} is not the ARN "
                "of an Amazon SQS queue."
            )


def _check_path(tid: str, path: str) -> None:
    try:
        parse_path(path)
    except PathError:
        raise ValidationException(
            f"Target {tid}: {path} is not a valid JSON path."
        ) from None


class TargetOps(EventsBase):
    def put_targets(self, ctx: RequestContext, req: Doc) -> Doc:
        bus = names.bus_ref(ctx, req.get("EventBusName"))
        rule = req["Rule"]
        self.require_rule(bus, rule)
        targets: list[Doc] = req["Targets"]
        ids = [t["Id"] for t in targets]
        for i, tid in enumerate(ids, start=1):
            names.check_name(tid, f"targets.{i}.member.id")
        if len(set(ids)) != len(ids):
            raise ValidationException("The same target Id appears more than once.")
        for t in targets:
            check_target(t)
        existing = {doc["Id"] for doc in self.rule_targets(bus, rule)}
        if len(existing | set(ids)) > TARGETS_PER_RULE:
            raise LimitExceededException()
        with self.store.batch():
            for t in targets:
                self.store.put(names.TARGETS, bus.target_key(rule, t["Id"]), t)
        self.rules_changed(bus)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def remove_targets(self, ctx: RequestContext, req: Doc) -> Doc:
        bus = names.bus_ref(ctx, req.get("EventBusName"))
        rule = req["Rule"]
        self.require_rule(bus, rule)
        with self.store.batch():
            for tid in req["Ids"]:
                self.store.delete(names.TARGETS, bus.target_key(rule, tid))
        self.rules_changed(bus)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def list_targets_by_rule(self, ctx: RequestContext, req: Doc) -> Doc:
        bus = names.bus_ref(ctx, req.get("EventBusName"))
        rule = req["Rule"]
        self.require_rule(bus, rule)
        prefix = bus.targets_prefix(rule)
        after = names.decode_token(req.get("NextToken"), prefix)
        page, token = names.take_page(
            self.store.scan(names.TARGETS, prefix, after), int(req.get("Limit") or MAX_PAGE)
        )
        out: Doc = {"Targets": page}
        if token:
            out["NextToken"] = token
        return out

    def list_rule_names_by_target(self, ctx: RequestContext, req: Doc) -> Doc:
        bus = names.bus_ref(ctx, req.get("EventBusName"))
        self.require_bus(bus)
        arn = req["TargetArn"]
        prefix = bus.rules_prefix
        after = names.decode_token(req.get("NextToken"), prefix)

        def hits() -> Any:
            last_rule = None
            for key, doc in self.store.scan(names.TARGETS, prefix, after):
                rule_key = key.rsplit("|", 1)[0]
                if doc["Arn"] == arn and rule_key != last_rule:
                    last_rule = rule_key
                    # continue after this rule's last possible target
                    yield rule_key + "|\U0010ffff", rule_key[len(prefix):]

        page, token = names.take_page(hits(), int(req.get("Limit") or MAX_PAGE))
        out: Doc = {"RuleNames": page}
        if token:
            out["NextToken"] = token
        return out
