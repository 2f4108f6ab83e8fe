"""Sending one matched event to one target: an SQS queue, an SNS topic, another event
bus, or an ECS cluster (RunTask).

Every call goes through ``app.dispatcher.call`` as the target's service would be called
over HTTP (ECS targets as the target's RoleArn).  A failure is a :class:`DeliveryError`
with the ERROR_CODE EventBridge puts on dead-lettered events and whether it is worth
retrying ("Event retry policy and using dead-letter queues": a target that does not
exist or that EventBridge may not call is not retried).

- SQS: SendMessage with the target input as the body; FIFO queues get the target's
  SqsParameters.MessageGroupId and the event id as deduplication id.
- SNS: Publish with the target input as the message.
- Event bus: the event itself is put on that bus (inputs do not apply), at most
  :data:`MAX_HOPS` buses deep.
- ECS: RunTask on the target cluster, as a session of the target's RoleArn
  (role_session.py), with EcsParameters (TaskDefinitionArn, TaskCount,
  LaunchType, NetworkConfiguration, PlatformVersion, Group, CapacityProviderStrategy,
  PlacementConstraints/Strategy, EnableECSManagedTags, EnableExecuteCommand,
  PropagateTags, ReferenceId, Tags); ``startedBy`` is ``events-rule/<rule name>``.  When
  the target has Input / InputPath / InputTransformer, the resulting JSON object is the
  task's ``overrides`` (``{"containerOverrides": [{"name": ..., "command": [...]}]}``
  puts event data into a container's command).  A RunTask that starts no task
  (``failures`` only) failed and is retried.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cargobay.protocol.errors import AwsError
from cargobay.services.events import names
from cargobay.services.events.envelope import iso
from cargobay.services.events.input_transform import target_input
from cargobay.services.events.target_ops import is_ecs_cluster

if TYPE_CHECKING:
    from cargobay.services.events.service import EventsService

Doc = dict[str, Any]

#: how many buses deep an event may be forwarded bus to bus
MAX_HOPS = 3
_OVERRIDE_KEYS = ("containerOverrides", "cpu", "memory", "taskRoleArn", "executionRoleArn",
                  "inferenceAcceleratorOverrides", "ephemeralStorage")
_RETRIABLE_CODES = {"ThrottlingException", "Throttling", "RequestLimitExceeded",
                    "ServiceUnavailable", "InternalFailure", "InternalError",
                    "ServerException", "TooManyRequestsException", "KMSThrottlingException"}


class DeliveryError(Exception):
    def __init__(self, code: str, message: str, retriable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retriable = retriable


def classify(err: AwsError) -> DeliveryError:
    """The ERROR_CODE of a target's AWS error, and whether to try again."""
    code = err.code
    if not err.sender_fault or err.status >= 500 or code in _RETRIABLE_CODES:
        return DeliveryError("THROTTLING" if "hrottl" in code or "Limit" in code
                             else "INTERNAL_ERROR", err.message, True)
    if any(w in code for w in ("NotFound", "NonExistent", "DoesNotExist", "NoSuch")):
        return DeliveryError("NO_RESOURCE", err.message, False)
    if "AccessDenied" in code or "NotAuthorized" in code or "Unauthorized" in code:
        return DeliveryError("NO_PERMISSIONS", err.message, False)
    if code in ("UnknownOperationException", "InvalidAction"):
        return DeliveryError("SDK_CLIENT_ERROR", err.message, False)
    return DeliveryError("INVALID_PARAMETER", f"{code}: {err.message}", False)


async def deliver(svc: EventsService, job: Doc) -> None:
    """Send ``job``'s event to its target; DeliveryError if that failed."""
    target: Doc = job["target"]
    arn = names.parse_arn(target["Arn"])
    if arn is None:
        raise DeliveryError("INVALID_PARAMETER", f"{target['Arn']} is not an ARN.", False)
    event: Doc = job["event"]
    try:
        if arn.service == "events" and arn.resource.startswith("event-bus/"):
            _to_bus(svc, job, arn)
            return
        payload = target_input(target, event, job["ruleArn"], job["rule"], iso(job["ingested"]))
        if arn.service == "sqs":
            await _to_sqs(svc, target, arn, payload, event)
        elif arn.service == "sns":
            await svc.app.dispatcher.call(
                "sns", "Publish", {"TopicArn": target["Arn"], "Message": payload},
                region=arn.region, account_id=arn.account,
            )
        elif is_ecs_cluster(arn):
            await _to_ecs(svc, job, target, arn, payload)
        else:
            raise DeliveryError(
                "NO_RESOURCE", f"cargobay does not deliver to {arn.service} targets.", False
            )
    except AwsError as e:
        raise classify(e) from None


def _to_bus(svc: EventsService, job: Doc, arn: names.Arn) -> None:
    bus = names.bus_from_arn(job["target"]["Arn"])
    assert bus is not None
    if job.get("hops", 0) + 1 > MAX_HOPS:
        raise DeliveryError(
            "INVALID_PARAMETER", f"The event has passed {MAX_HOPS} event buses already.", False
        )
    if svc.bus_doc(bus) is None:
        raise DeliveryError("NO_RESOURCE", f"Event bus {bus.name} does not exist.", False)
    svc.publish(bus, job["event"], hops=job.get("hops", 0) + 1)


#: SendMessageBatch limits: entries and bytes of bodies per call
SQS_BATCH = 10
SQS_BATCH_BYTES = 256 * 1024


def sqs_target(job: Doc) -> bool:
    """Whether ``job`` goes to an SQS queue (such jobs may be sent in batches)."""
    arn = names.parse_arn(job["target"]["Arn"])
    return arn is not None and arn.service == "sqs"


def _sqs_entry(job: Doc, index: int) -> tuple[Doc, int]:
    target: Doc = job["target"]
    event: Doc = job["event"]
    payload = target_input(target, event, job["ruleArn"], job["rule"], iso(job["ingested"]))
    entry: Doc = {"Id": str(index), "MessageBody": payload}
    if target["Arn"].endswith(".fifo"):
        entry["MessageGroupId"] = (target.get("SqsParameters") or {}).get("MessageGroupId")
        entry["MessageDeduplicationId"] = event["id"]
    return entry, len(payload.encode())


async def deliver_sqs_batch(svc: EventsService, jobs: list[Doc]) -> list[DeliveryError | None]:
    """Send jobs for one queue with SendMessageBatch (up to 10 at a time); the outcome of
    each job (None: sent)."""
    outcomes: list[DeliveryError | None] = [None] * len(jobs)
    queue_arn = jobs[0]["target"]["Arn"]
    arn = names.parse_arn(queue_arn)
    assert arn is not None
    try:
        url = await svc.queue_url(queue_arn)
    except AwsError as e:
        err = classify(e)
        return [err] * len(jobs)
    except DeliveryError as e:
        return [e] * len(jobs)
    chunk: list[tuple[int, Doc]] = []
    size = 0

    async def flush() -> None:
        nonlocal chunk, size
        if not chunk:
            return
        try:
            out = await svc.app.dispatcher.call(
                "sqs", "SendMessageBatch", {"QueueUrl": url, "Entries": [e for _, e in chunk]},
                region=arn.region, account_id=arn.account,
            )
        except AwsError as e:
            svc.forget_queue(queue_arn)
            err = classify(e)
            for i, _ in chunk:
                outcomes[i] = err
        else:
            for f in out.get("Failed") or []:
                i = int(f["Id"])
                outcomes[i] = DeliveryError(
                    "INTERNAL_ERROR" if not f.get("SenderFault") else "INVALID_PARAMETER",
                    f"{f.get('Code')}: {f.get('Message', '')}", not f.get("SenderFault"))
        chunk, size = [], 0

    for i, job in enumerate(jobs):
        try:
            entry, n = _sqs_entry(job, i)
        except Exception as e:  # a bad template or path: this job only
            outcomes[i] = DeliveryError("INVALID_JSON", str(e) or type(e).__name__, False)
            continue
        if chunk and (len(chunk) == SQS_BATCH or size + n > SQS_BATCH_BYTES):
            await flush()
        chunk.append((i, entry))
        size += n
    await flush()
    return outcomes


async def _to_sqs(svc: EventsService, target: Doc, arn: names.Arn, payload: str,
                  event: Doc) -> None:
    url = await svc.queue_url(target["Arn"])
    params: Doc = {"QueueUrl": url, "MessageBody": payload}
    if arn.resource.endswith(".fifo"):
        params["MessageGroupId"] = (target.get("SqsParameters") or {}).get("MessageGroupId")
        params["MessageDeduplicationId"] = event["id"]
    try:
        await svc.app.dispatcher.call("sqs", "SendMessage", params, region=arn.region,
                                      account_id=arn.account)
    except AwsError:
        svc.forget_queue(target["Arn"])
        raise


def _overrides(target: Doc, payload: str) -> Doc | None:
    if not any(k in target for k in ("Input", "InputPath", "InputTransformer")):
        return None
    try:
        doc = json.loads(payload)
    except ValueError:
        raise DeliveryError("INVALID_JSON", "The target input is not JSON.", False) from None
    if not isinstance(doc, dict):
        raise DeliveryError("INVALID_JSON", "The target input is not a JSON object.", False)
    return {k: doc[k] for k in _OVERRIDE_KEYS if k in doc}


def run_task_params(job: Doc, target: Doc, payload: str) -> Doc:
    ecs: Doc = target["EcsParameters"]
    params: Doc = {
        "cluster": target["Arn"],
        "taskDefinition": ecs["TaskDefinitionArn"],
        "count": ecs.get("TaskCount", 1),
        "startedBy": f"events-rule/{job['rule']}"[:128],
    }
    simple = {
        "LaunchType": "launchType", "PlatformVersion": "platformVersion", "Group": "group",
        "CapacityProviderStrategy": "capacityProviderStrategy",
        "EnableECSManagedTags": "enableECSManagedTags",
        "EnableExecuteCommand": "enableExecuteCommand",
        "PlacementConstraints": "placementConstraints",
        "PlacementStrategy": "placementStrategy", "PropagateTags": "propagateTags",
        "ReferenceId": "referenceId",
    }
    for src, dst in simple.items():
        if src in ecs:
            params[dst] = ecs[src]
    net = (ecs.get("NetworkConfiguration") or {}).get("awsvpcConfiguration")
    if net is not None:
        vpc: Doc = {"subnets": net["Subnets"]}
        if "SecurityGroups" in net:
            vpc["securityGroups"] = net["SecurityGroups"]
        if "AssignPublicIp" in net:
            vpc["assignPublicIp"] = net["AssignPublicIp"]
        params["networkConfiguration"] = {"awsvpcConfiguration": vpc}
    if ecs.get("Tags"):
        params["tags"] = [{"key": t["Key"], "value": t["Value"]} for t in ecs["Tags"]]
    overrides = _overrides(target, payload)
    if overrides:
        params["overrides"] = overrides
    return params


async def _to_ecs(svc: EventsService, job: Doc, target: Doc, arn: names.Arn,
                  payload: str) -> None:
    params = run_task_params(job, target, payload)
    principal = svc.role_sessions.principal(target["RoleArn"], f"events-{job['rule']}"[:64])
    out = await svc.app.dispatcher.call(
        "ecs", "RunTask", params, region=arn.region, account_id=arn.account,
        principal_arn=principal,
    )
    if not out.get("tasks") and out.get("failures"):
        reasons = ", ".join(f"{f.get('arn', '')}: {f.get('reason', '')}" for f in out["failures"])
        raise DeliveryError("ERROR_FROM_TARGET", f"RunTask started no task ({reasons}).", True)
