"""ECS task definitions: register, describe, list, deregister, delete.

Behaviour (RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions,
ListTaskDefinitionFamilies, DeregisterTaskDefinition and DeleteTaskDefinitions API
references; "Amazon ECS task definition states"):

- Revisions of a family count up from 1; a number once given is never given again, even
  after its revision is deregistered or deleted.
- ``ACTIVE`` → (DeregisterTaskDefinition) ``INACTIVE`` → (DeleteTaskDefinitions)
  ``DELETE_IN_PROGRESS``, which ECS finishes once no task or service uses the revision;
  then the revision is gone.  INACTIVE revisions stay describable.
- Describing a bare family means its latest ACTIVE revision.
- A family is listed while it has a revision left; it is ACTIVE while one revision is.

Storage: table ``ecs.taskdefs`` keyed ``<account>/<region>/<family>/<revision:010d>`` (so
a scan walks families, then revisions in order), and ``ecs.taskdef_families`` keyed
``<account>/<region>/<family>`` with the last revision number given, the latest ACTIVE
revision and counts, so that registering and describing by family read one document.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import arns, tag_store
from cargobay.services.ecs.base import EcsBase
from cargobay.services.ecs.errors import ClientException, InvalidParameterException
from cargobay.services.ecs.fargate_sizes import parse_cpu, parse_memory
from cargobay.services.ecs.pagination import decode_token, page_size, take_page
from cargobay.services.ecs.taskdef_checks import check_size, check_task_definition
from cargobay.services.ecs.taskdef_defaults import ordered, registered_definition
from cargobay.services.ecs.taskdef_refs import TaskDefRef, parse_ref, task_definition_arn
from cargobay.services.ecs.taskdef_requirements import compatibilities, requires_attributes

Doc = dict[str, Any]

TABLE = "ecs.taskdefs"
FAMILIES = "ecs.taskdef_families"
MAX_DELETE = 10

NOT_DESCRIBABLE = "Unable to describe task definition."
NOT_FOUND = "The specified task definition does not exist."
DELETE_NOT_FOUND = (
    "The specified task definition does not exist. Specify a valid account, family, "
    "revision and try again."
)
DELETE_ACTIVE = (
    "The specified task definition is still in ACTIVE status. Please deregister the target "
    "and try again."
)


def _task_size(req: Doc, field: str, parse: Callable[[str], int | None]) -> int | None:
    text = req.get(field)
    if text is None:
        return None
    value = parse(text)
    if value is None:
        raise InvalidParameterException(f"Invalid '{field}' setting for task.")
    return value


def _new_family(family: str) -> Doc:
    return {"family": family, "last": 0, "latestActive": None, "active": 0, "live": 0}


class TaskDefinitionOps(EcsBase):
    # -- seams for other parts of ECS ---------------------------------------------------

    def task_definition_in_use(self, ctx: RequestContext, task_definition_arn: str) -> bool:
        """Whether a task or service still uses this revision (keeps a deletion pending).

        Tasks and services override this when they exist; until then nothing is in use.
        """
        return False

    def find_task_definition(self, ctx: RequestContext, reference: str) -> Doc | None:
        """The stored revision ``reference`` names (family = latest ACTIVE), or None."""
        ref = parse_ref(ctx, reference)
        return None if ref is None else self._lookup(ctx, ref)

    def runnable_task_definition(self, ctx: RequestContext, reference: str) -> Doc:
        """The ACTIVE revision ``reference`` names, for RunTask/StartTask and services;
        ClientException if there is none or it is INACTIVE."""
        td = self.find_task_definition(ctx, reference)
        if td is None:
            raise ClientException("TaskDefinition not found.")
        if td["status"] != "ACTIVE":
            raise ClientException("TaskDefinition is inactive")
        return td

    # -- operations ---------------------------------------------------------------------

    def register_task_definition(self, ctx: RequestContext, req: Doc) -> Doc:
        cpu = _task_size(req, "cpu", parse_cpu)
        memory = _task_size(req, "memory", parse_memory)
        check_size(req)
        check_task_definition(req, cpu, memory)
        tags = tag_store.check_tags(req.get("tags", []))
        if len({t["key"] for t in tags}) > tag_store.MAX_TAGS:
            raise InvalidParameterException(
                f"The tag limit of {tag_store.MAX_TAGS} tags per resource has been exceeded."
            )

        td = registered_definition(req, cpu=cpu, memory=memory)
        family: str = td["family"]
        fam = self.store.get(FAMILIES, arns.scope_key(ctx, family)) or _new_family(family)
        revision = int(fam["last"]) + 1
        td_arn = task_definition_arn(ctx, family, revision)
        td.update(
            taskDefinitionArn=td_arn,
            revision=revision,
            status="ACTIVE",
            compatibilities=compatibilities(td, cpu, memory),
            registeredAt=self.clock.now(),
            registeredBy=ctx.principal_arn or f"arn:aws:iam::{ctx.account_id}:root",
        )
        attributes = requires_attributes(td)
        if attributes:
            td["requiresAttributes"] = attributes
        td = ordered(td)
        fam.update(
            last=revision,
            latestActive=revision,
            active=int(fam["active"]) + 1,
            live=int(fam["live"]) + 1,
        )
        with self.store.batch():
            self.store.put(TABLE, arns.scope_key(ctx, family, f"{revision:010d}"), td)
            self.store.put(FAMILIES, arns.scope_key(ctx, family), fam)
            if tags:
                tag_store.set_tags(self.store, td_arn, tags)
        out: Doc = {"taskDefinition": td}
        if tags:
            out["tags"] = tags
        return out

    def describe_task_definition(self, ctx: RequestContext, req: Doc) -> Doc:
        td = self.find_task_definition(ctx, req["taskDefinition"])
        if td is None:
            raise ClientException(NOT_DESCRIBABLE)
        out: Doc = {"taskDefinition": td}
        if "TAGS" in req.get("include", []):
            out["tags"] = tag_store.get_tags(self.store, td["taskDefinitionArn"])
        return out

    def list_task_definitions(self, ctx: RequestContext, req: Doc) -> Doc:
        status = req.get("status", "ACTIVE")
        size = page_size(req.get("maxResults"))
        after = self._revision_token(ctx, req.get("nextToken"))
        family = req.get("familyPrefix") or None
        if req.get("sort", "ASC") == "DESC":
            matching = [
                (k, d) for k, d in self._revisions(ctx, family, None) if d["status"] == status
            ]
            matching.reverse()
            items = (
                (k, d["taskDefinitionArn"])
                for k, d in matching
                if after is None or (d["family"], d["revision"]) < after
            )
        else:
            items = (
                (k, d["taskDefinitionArn"])
                for k, d in self._revisions(ctx, family, after)
                if d["status"] == status
            )
        arns_page, token = take_page(items, size)
        out: Doc = {"taskDefinitionArns": arns_page}
        if token is not None:
            out["nextToken"] = token
        return out

    def list_task_definition_families(self, ctx: RequestContext, req: Doc) -> Doc:
        status = req.get("status", "ALL")
        size = page_size(req.get("maxResults"))
        after = decode_token(req.get("nextToken"))
        prefix = arns.scope_prefix(ctx) + (req.get("familyPrefix") or "")

        def wanted(fam: Doc) -> bool:
            if int(fam["live"]) == 0:
                return False
            if status == "ACTIVE":
                return int(fam["active"]) > 0
            if status == "INACTIVE":
                return int(fam["active"]) == 0
            return True

        families, token = take_page(
            ((k, d["family"]) for k, d in self.store.scan(FAMILIES, prefix, after) if wanted(d)),
            size,
        )
        out: Doc = {"families": families}
        if token is not None:
            out["nextToken"] = token
        return out

    def deregister_task_definition(self, ctx: RequestContext, req: Doc) -> Doc:
        ref = parse_ref(ctx, req["taskDefinition"])
        if ref is None:
            raise ClientException(NOT_FOUND)
        if ref.revision is None:
            raise ClientException("Revision is missing.")
        key = arns.scope_key(ctx, ref.family, f"{ref.revision:010d}")
        td = self.store.get(TABLE, key)
        if td is None:
            raise ClientException(NOT_FOUND)
        if td["status"] != "ACTIVE":
            raise ClientException("TaskDefinition is inactive")
        td["status"] = "INACTIVE"
        td["deregisteredAt"] = self.clock.now()
        td = ordered(td)
        fam_key = arns.scope_key(ctx, ref.family)
        fam = self.store.get(FAMILIES, fam_key) or _new_family(ref.family)
        fam["active"] = max(0, int(fam["active"]) - 1)
        if fam["latestActive"] == ref.revision:
            fam["latestActive"] = self._latest_active(ctx, ref.family, excluding=ref.revision)
        with self.store.batch():
            self.store.put(TABLE, key, td)
            self.store.put(FAMILIES, fam_key, fam)
        return {"taskDefinition": td}

    def delete_task_definitions(self, ctx: RequestContext, req: Doc) -> Doc:
        refs: list[str] = req["taskDefinitions"]
        if not refs:
            raise InvalidParameterException("The taskDefinitions list cannot be empty.")
        if len(refs) > MAX_DELETE:
            raise InvalidParameterException(
                f"You can specify up to {MAX_DELETE} task definitions in a request."
            )
        now = self.clock.now()
        deleted: list[Doc] = []
        failures: list[Doc] = []
        families: dict[str, Doc] = {}
        writes: list[tuple[str, Doc | None]] = []
        gone: set[str] = set()
        for text in refs:
            ref = parse_ref(ctx, text)
            if ref is None or ref.revision is None:
                reason = "Revision is missing." if ref is not None else DELETE_NOT_FOUND
                failures.append({"arn": text, "reason": reason})
                continue
            key = arns.scope_key(ctx, ref.family, f"{ref.revision:010d}")
            td = None if key in gone else self.store.get(TABLE, key)
            if td is None:
                failures.append({"arn": text, "reason": DELETE_NOT_FOUND})
                continue
            if td["status"] == "ACTIVE":
                failures.append({"arn": td["taskDefinitionArn"], "reason": DELETE_ACTIVE})
                continue
            if td["status"] == "INACTIVE":
                td["status"] = "DELETE_IN_PROGRESS"
                td["deleteRequestedAt"] = now
                td = ordered(td)
            deleted.append(td)
            if self.task_definition_in_use(ctx, td["taskDefinitionArn"]):
                writes.append((key, td))
                continue
            gone.add(key)
            writes.append((key, None))
            fam = families.get(ref.family) or self.store.get(
                FAMILIES, arns.scope_key(ctx, ref.family)
            )
            if fam is not None:
                fam["live"] = max(0, int(fam["live"]) - 1)
                families[ref.family] = fam
        with self.store.batch():
            for key, doc in writes:
                if doc is None:
                    self.store.delete(TABLE, key)
                else:
                    self.store.put(TABLE, key, doc)
            for td in deleted:
                if arns.scope_key(ctx, td["family"], f"{td['revision']:010d}") in gone:
                    tag_store.drop_tags(self.store, td["taskDefinitionArn"])
            for family, fam in families.items():
                self.store.put(FAMILIES, arns.scope_key(ctx, family), fam)
        return {"taskDefinitions": deleted, "failures": failures}

    # -- helpers --------------------------------------------------------------------------

    def _revisions(
        self, ctx: RequestContext, family: str | None, after: tuple[str, int] | None
    ) -> Iterator[tuple[str, Doc]]:
        """Stored revisions in ECS's order: family names lexicographically, then revision
        numbers; only after ``after`` (family, revision) when given.

        Walking the families table first keeps the order right where the key order would
        not ("web-api/..." sorts before "web/..." because '-' < '/').
        """
        families: Iterable[str]
        if family is not None:
            if after is not None and after[0] > family:
                return
            families = [family]
        elif after is None:
            families = (d["family"] for _, d in self.store.scan(FAMILIES, arns.scope_prefix(ctx)))
        else:
            rest = self.store.scan(FAMILIES, arns.scope_prefix(ctx), arns.scope_key(ctx, after[0]))
            families = itertools.chain([after[0]], (d["family"] for _, d in rest))
        for name in families:
            start = None
            if after is not None and name == after[0]:
                start = arns.scope_key(ctx, name, f"{after[1]:010d}")
            yield from self.store.scan(TABLE, arns.scope_key(ctx, name, ""), start)

    def _revision_token(self, ctx: RequestContext, token: str | None) -> tuple[str, int] | None:
        """The (family, revision) a ListTaskDefinitions nextToken continues after."""
        key = decode_token(token)
        if key is None:
            return None
        prefix = arns.scope_prefix(ctx)
        family, _, revision = key[len(prefix) :].rpartition("/")
        if not key.startswith(prefix) or not family or not revision.isdigit():
            raise InvalidParameterException("Invalid nextToken.")
        return family, int(revision)

    def _lookup(self, ctx: RequestContext, ref: TaskDefRef) -> Doc | None:
        revision = ref.revision
        if revision is None:
            fam = self.store.get(FAMILIES, arns.scope_key(ctx, ref.family))
            if fam is None or fam["latestActive"] is None:
                return None
            revision = int(fam["latestActive"])
        key = arns.scope_key(ctx, ref.family, f"{revision:010d}")
        td = self.store.get(TABLE, key)
        if td is None or revision < 1:
            return None
        if td["status"] == "DELETE_IN_PROGRESS" and not self.task_definition_in_use(
            ctx, td["taskDefinitionArn"]
        ):
            self._finish_deletion(ctx, key, td)
            return None
        return td

    def _finish_deletion(self, ctx: RequestContext, key: str, td: Doc) -> None:
        """Remove a revision whose deletion was pending and that nothing uses any more."""
        fam_key = arns.scope_key(ctx, td["family"])
        fam = self.store.get(FAMILIES, fam_key)
        with self.store.batch():
            self.store.delete(TABLE, key)
            tag_store.drop_tags(self.store, td["taskDefinitionArn"])
            if fam is not None:
                fam["live"] = max(0, int(fam["live"]) - 1)
                self.store.put(FAMILIES, fam_key, fam)

    def _latest_active(self, ctx: RequestContext, family: str, *, excluding: int) -> int | None:
        latest: int | None = None
        for _, td in self.store.scan(TABLE, arns.scope_key(ctx, family, "")):
            if td["status"] == "ACTIVE" and td["revision"] != excluding:
                latest = int(td["revision"])
        return latest
