"""Resources of the other served services' operations (Service Authorization Reference).

- SQS: ``arn:aws:sqs:REGION:ACCOUNT:QUEUE`` from ``QueueUrl`` (``…/ACCOUNT/QUEUE``) or
  ``QueueName``; ListQueues on ``*``.
- SNS: the topic ARN (``TopicArn``, ``TargetArn``, a topic's name on CreateTopic, the
  topic of a ``SubscriptionArn``); ``ResourceArn`` for tagging.
- Secrets Manager: ``arn:aws:secretsmanager:…:secret:NAME`` from ``SecretId`` (an ARN as
  given; a bare name without AWS's random suffix unless the service resolves it).
- SSM: ``arn:aws:ssm:…:parameter/NAME`` (a leading ``/`` not doubled) for ``Name``,
  ``Names``, ``Path``.
- EventBridge: ``rule/[BUS/]NAME``, ``event-bus/NAME``; PutEvents on each entry's bus;
  PutTargets with a ``RoleArn`` needs ``iam:PassRole`` (to events.amazonaws.com).
- CloudWatch Logs: ``log-group:NAME:*`` and ``log-group:NAME:log-stream:STREAM``.
- CloudWatch: ``alarm:NAME``; PutMetricData carries ``cloudwatch:namespace``.
- EFS: ``file-system/ID``, ``access-point/ID``; ELBv2 and Scheduler: the ARNs given.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from cargobay.iam.action_map import Check, Extractor, Params, Scope, pass_role


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _sqs(s: Scope, op: str, params: Params) -> Check:
    url = params.get("QueueUrl")
    if url:
        parts = [p for p in urlsplit(str(url)).path.split("/") if p]
        if len(parts) >= 2:
            return Check("", [f"arn:aws:sqs:{s.region}:{parts[-2]}:{parts[-1]}"])
        if parts:
            return Check("", [s.arn("sqs", parts[-1])])
    name = params.get("QueueName")
    if name:
        owner = params.get("QueueOwnerAWSAccountId") or s.account
        return Check("", [f"arn:aws:sqs:{s.region}:{owner}:{name}"])
    return Check("", ["*"])


def _sns(s: Scope, op: str, params: Params) -> Check:
    for member in ("TopicArn", "TargetArn", "ResourceArn"):
        if params.get(member):
            return Check("", [str(params[member])])
    if op == "CreateTopic" and params.get("Name"):
        return Check("", [s.arn("sns", str(params["Name"]))])
    sub = params.get("SubscriptionArn")
    if sub and str(sub).count(":") >= 6:
        return Check("", [str(sub).rsplit(":", 1)[0]])
    return Check("", ["*"])


def _secret_arn(s: Scope, ref: str) -> str:
    """The secret's real ARN (with its random suffix) when it exists, as AWS evaluates
    policies against the resolved resource; else the ARN the name would have."""
    if s.app is not None:
        from cargobay.services.secrets.secret_store import full_arn

        found = full_arn(s.app.store, ref, s.region, s.account, s.app.clock.now())
        if found is not None:
            return found
    return ref if ref.startswith("arn:") else s.arn("secretsmanager", f"secret:{ref}")


def _secretsmanager(s: Scope, op: str, params: Params) -> Check:
    keys: dict[str, list[str]] = {}
    ref = params.get("SecretId") or params.get("ResourceArn")
    if ref:
        arn = _secret_arn(s, str(ref))
        keys["secretsmanager:secretid"] = [arn]
        return Check("", [arn], keys)
    if op == "CreateSecret" and params.get("Name"):
        keys["secretsmanager:name"] = [str(params["Name"])]
        return Check("", [_secret_arn(s, str(params["Name"]))], keys)
    ids = _list(params.get("SecretIdList"))
    if ids:
        return Check("", [_secret_arn(s, r) for r in ids])
    return Check("", ["*"])


def _parameter_arn(s: Scope, name: str) -> str:
    if name.startswith("arn:"):
        return name
    base = name.split(":", 1)[0]  # drop a :version or :label selector
    return s.arn("ssm", "parameter" + (base if base.startswith("/") else "/" + base))


def _ssm(s: Scope, op: str, params: Params) -> Check:
    names = _list(params.get("Names")) or _list(params.get("Name"))
    if not names and params.get("Path"):
        names = [str(params["Path"]).rstrip("/") or "/"]
    if not names and params.get("ResourceType") == "Parameter" and params.get("ResourceId"):
        names = [str(params["ResourceId"])]
    if names:
        return Check("", [_parameter_arn(s, n) for n in names])
    return Check("", ["*"])


def _bus_arn(s: Scope, bus: str | None) -> str:
    name = bus or "default"
    return name if name.startswith("arn:") else s.arn("events", f"event-bus/{name}")


_TARGET_OPS = ("PutTargets", "RemoveTargets", "ListTargetsByRule")


def _events(s: Scope, op: str, params: Params) -> Check:
    keys: dict[str, list[str]] = {}
    bus = params.get("EventBusName")
    bus_name = str(bus).rsplit("/", 1)[-1] if bus else "default"
    rule = params.get("Rule") if op in _TARGET_OPS else None
    if op.endswith("Rule") and op not in ("ListRuleNamesByTarget",):
        rule = rule or params.get("Name")
    also = []
    if op == "PutTargets":
        for target in params.get("Targets") or []:
            if isinstance(target, dict) and target.get("RoleArn"):
                also.append(pass_role(str(target["RoleArn"]), "events.amazonaws.com"))
        arns = [str(t.get("Arn")) for t in params.get("Targets") or [] if isinstance(t, dict)]
        keys["events:targetarn"] = arns
    if rule:
        path = f"rule/{rule}" if bus_name == "default" else f"rule/{bus_name}/{rule}"
        return Check("", [s.arn("events", path)], keys, also)
    if op == "PutEvents":
        entries = [e for e in params.get("Entries") or [] if isinstance(e, dict)]
        buses = sorted({_bus_arn(s, e.get("EventBusName")) for e in entries}) or [_bus_arn(s, None)]
        keys["events:source"] = sorted({str(e["Source"]) for e in entries if e.get("Source")})
        keys["events:detail-type"] = sorted(
            {str(e["DetailType"]) for e in entries if e.get("DetailType")}
        )
        return Check("", buses, keys)
    if op.endswith("EventBus") and params.get("Name"):
        return Check("", [_bus_arn(s, str(params["Name"]))])
    if params.get("ResourceARN"):
        return Check("", [str(params["ResourceARN"])])
    return Check("", ["*"], keys, also)


def _logs(s: Scope, op: str, params: Params) -> Check:
    group = params.get("logGroupName") or params.get("logGroupIdentifier")
    if group and str(group).startswith("arn:"):
        group = str(group).split(":log-group:", 1)[-1].removesuffix(":*")
    stream = params.get("logStreamName")
    if group and stream:
        return Check("", [s.arn("logs", f"log-group:{group}:log-stream:{stream}")])
    if group:
        return Check("", [s.arn("logs", f"log-group:{group}:*")])
    if params.get("resourceArn"):
        return Check("", [str(params["resourceArn"])])
    return Check("", ["*"])


def _cloudwatch(s: Scope, op: str, params: Params) -> Check:
    names = _list(params.get("AlarmNames")) or _list(params.get("AlarmName"))
    if names:
        return Check("", [s.arn("cloudwatch", f"alarm:{n}") for n in names])
    if op == "PutMetricData" and params.get("Namespace"):
        return Check("", ["*"], {"cloudwatch:namespace": [str(params["Namespace"])]})
    if params.get("ResourceARN"):
        return Check("", [str(params["ResourceARN"])])
    return Check("", ["*"])


def _efs(s: Scope, op: str, params: Params) -> Check:
    for member, kind in (("FileSystemId", "file-system"), ("AccessPointId", "access-point")):
        ref = params.get(member)
        if ref:
            ref = str(ref)
            return Check("", [ref if ref.startswith("arn:") else s.arn("elasticfilesystem",
                                                                          f"{kind}/{ref}")])
    if params.get("ResourceId"):
        ref = str(params["ResourceId"])
        kind = "access-point" if ref.startswith("fsap-") else "file-system"
        return Check("", [ref if ref.startswith("arn:") else s.arn("elasticfilesystem",
                                                                      f"{kind}/{ref}")])
    return Check("", ["*"])


def _arns_given(s: Scope, op: str, params: Params) -> Check:
    found: list[str] = []
    for name, value in params.items():
        if name.endswith(("Arn", "Arns", "ARN")) and not name.startswith("Role"):
            found.extend(v for v in _list(value) if v.startswith("arn:"))
    return Check("", found or ["*"])


def _scheduler(s: Scope, op: str, params: Params) -> Check:
    if op.endswith("Schedule") and params.get("Name"):
        group = params.get("GroupName") or "default"
        return Check("", [s.arn("scheduler", f"schedule/{group}/{params['Name']}")])
    if op.endswith("ScheduleGroup") and params.get("Name"):
        return Check("", [s.arn("scheduler", f"schedule-group/{params['Name']}")])
    return _arns_given(s, op, params)


EXTRACTORS: dict[str, Extractor] = {
    "sqs": _sqs,
    "sns": _sns,
    "secretsmanager": _secretsmanager,
    "ssm": _ssm,
    "events": _events,
    "logs": _logs,
    "cloudwatch": _cloudwatch,
    "efs": _efs,
    "elbv2": _arns_given,
    "scheduler": _scheduler,
}
