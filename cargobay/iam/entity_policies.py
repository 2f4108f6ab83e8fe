"""Inline and managed policies of an IAM identity (role or user): the operations are the
same for both (Put/Get/Delete/List<Entity>Policy, Attach/Detach/ListAttached<Entity>
Policies); only the member name, the inline size quota and the quota's name differ."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cargobay.iam.errors import LimitExceeded, NoSuchEntity
from cargobay.iam.iam_base import (
    INLINE_SIZE_ROLE,
    INLINE_SIZE_USER,
    MANAGED_PER_ENTITY,
    Doc,
    IamBase,
    encode_document,
    page,
    policy_size,
)
from cargobay.iam.iam_policies import attach, detach
from cargobay.protocol.base import RequestContext

Save = Callable[[Doc], None]


@dataclass(frozen=True)
class Entity:
    word: str  # "role" / "user", as IAM's messages say it
    name_key: str  # "RoleName" / "UserName"
    inline_limit: int  # bytes of all inline policies together
    quota: str  # "PoliciesPerRole" / "PoliciesPerUser"


ROLE = Entity("role", "RoleName", INLINE_SIZE_ROLE, "PoliciesPerRole")
USER = Entity("user", "UserName", INLINE_SIZE_USER, "PoliciesPerUser")


def put_inline(ops: IamBase, ctx: RequestContext, e: Entity, doc: Doc, req: Doc, save: Save) -> Doc:
    ops.check_document(ctx, req["PolicyDocument"], "identity")
    inline = dict(doc["InlinePolicies"])
    inline[req["PolicyName"]] = req["PolicyDocument"]
    if sum(policy_size(t) for t in inline.values()) > e.inline_limit:
        raise LimitExceeded(
            f"Maximum policy size of {e.inline_limit} bytes exceeded for {e.word} "
            f"{doc[e.name_key]}"
        )
    doc["InlinePolicies"] = inline
    save(doc)
    return {}


def _missing(e: Entity, name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The {e.word} policy with name {name} cannot be found.")


def get_inline(e: Entity, doc: Doc, req: Doc) -> Doc:
    text = doc["InlinePolicies"].get(req["PolicyName"])
    if text is None:
        raise _missing(e, req["PolicyName"])
    return {
        e.name_key: doc[e.name_key],
        "PolicyName": req["PolicyName"],
        "PolicyDocument": encode_document(text),
    }


def delete_inline(e: Entity, doc: Doc, req: Doc, save: Save) -> Doc:
    if req["PolicyName"] not in doc["InlinePolicies"]:
        raise _missing(e, req["PolicyName"])
    del doc["InlinePolicies"][req["PolicyName"]]
    save(doc)
    return {}


def list_inline(doc: Doc, req: Doc) -> Doc:
    chunk, extra = page(sorted(doc["InlinePolicies"]), req, lambda n: str(n))
    return {"PolicyNames": chunk, **extra}


def attach_managed(
    ops: IamBase, ctx: RequestContext, e: Entity, doc: Doc, req: Doc, save: Save
) -> Doc:
    if req["PolicyArn"] in doc["AttachedPolicies"]:
        return {}
    if len(doc["AttachedPolicies"]) >= MANAGED_PER_ENTITY:
        raise LimitExceeded(f"Cannot exceed quota for {e.quota}: {MANAGED_PER_ENTITY}")
    with ops.store.batch():
        attach(ops, ctx, req["PolicyArn"])
        doc["AttachedPolicies"].append(req["PolicyArn"])
        save(doc)
    return {}


def detach_managed(ops: IamBase, ctx: RequestContext, doc: Doc, req: Doc, save: Save) -> Doc:
    if req["PolicyArn"] not in doc["AttachedPolicies"]:
        raise NoSuchEntity(f"Policy {req['PolicyArn']} was not found.")
    with ops.store.batch():
        detach(ops, ctx, req["PolicyArn"])
        doc["AttachedPolicies"].remove(req["PolicyArn"])
        save(doc)
    return {}
