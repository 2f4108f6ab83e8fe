"""What a task's EFS volumes resolve to, decided by the control plane at launch.

For each ``efsVolumeConfiguration`` of the task definition the agent receives, in
its assignment's ``volumes`` (docs/agent-protocol.md), either::

    {"name": V, "efs": {"hostPath": P, "path": R, "readOnly": B, "posixUser": {...}}}
    {"name": V, "error": "ResourceInitializationError: ..."}

``hostPath`` is the directory the volume mounts: the file system's directory, then
the access point's ``Path`` (created with its ``CreationInfo`` owner and mode when
missing), then the volume's ``rootDirectory``; every step is resolved with symlinks
followed and must stay inside the file system.  ``path`` is the same directory
relative to the EFS root (``<fs-id>/…``): an agent that has the shared root mounted
elsewhere (its own ``CARGOBAY_EFS_ROOT``) uses that; otherwise ``hostPath``.

Authorization (EFS User Guide, "Using IAM to control file system data access"):
with ``authorizationConfig.iam`` ENABLED the task role is the client: it must be
allowed ``elasticfilesystem:ClientMount`` on the file system, else the mount fails;
without ``elasticfilesystem:ClientWrite`` the mount is read-only.  The identity-based
policies of the role and the file system policy are evaluated together (an explicit
Deny in either refuses; same account: an Allow in either suffices when the file
system has a policy; without one the role's policies must allow it — see
docs/differences.md).  Without IAM authorization the client is anonymous: with no
file system policy it may mount and write; with one, the policy must allow ``*``.
A refused mount stops the task with ECS's stoppedReason for a failed EFS mount.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from cargobay.iam import iam_store
from cargobay.iam.context_keys import ConditionContext
from cargobay.iam.policy_document import Policy, parse_policy
from cargobay.iam.policy_engine import Caller, Decision, evaluate, evaluate_resource_policy
from cargobay.services.ecs.launch_volumes import launch_items
from cargobay.services.efs import names
from cargobay.services.efs.paths import PathEscape, confined, efs_root, fs_dir, make_dirs

if TYPE_CHECKING:
    from cargobay.app import App

Doc = dict[str, Any]

MOUNT = "elasticfilesystem:ClientMount"
WRITE = "elasticfilesystem:ClientWrite"


def efs_failure(detail: str) -> str:
    """ECS's stoppedReason when the EFS mount helper fails (exit code 32)."""
    return (
        "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS "
        f"volumes: stderr: b'{detail}' : unsuccessful EFS utils command execution; code: 32"
    )


ACCESS_DENIED = "mount.nfs4: access denied by server while mounting 127.0.0.1:/"


def task_volumes(app: App, task: Doc) -> list[Doc]:
    """The resolved EFS volumes of ``task`` (a stored ECS task document)."""
    td = task.get("_taskDefinition") or {}
    wanted = [v for v in td.get("volumes") or [] if v.get("efsVolumeConfiguration")]
    if not wanted:
        return []
    parts = str(task["taskArn"]).split(":")
    region, account = parts[3], parts[4]
    role = (task.get("overrides") or {}).get("taskRoleArn") or td.get("taskRoleArn")
    return [
        resolve(app, account, region, str(v["name"]), v["efsVolumeConfiguration"], role)
        for v in wanted
    ]


def _key(account: str, region: str, rid: str) -> str:
    return f"{account}/{region}/{rid}"


def resolve(app: App, account: str, region: str, name: str, cfg: Doc, role_arn: str | None) -> Doc:
    fs_id = names.bare_id(str(cfg.get("fileSystemId", "")))
    fs = app.store.get(names.FILE_SYSTEMS, _key(account, region, fs_id))
    host = f"{fs_id}.efs.{region}.amazonaws.com"
    if fs is None:
        return {
            "name": name,
            "error": efs_failure(
                f"mount.nfs4: Failed to resolve server {host}: Name or service not known"
            ),
        }
    auth = cfg.get("authorizationConfig") or {}
    ap_id = auth.get("accessPointId")
    ap: Doc | None = None
    if ap_id:
        ap = app.store.get(names.ACCESS_POINTS, _key(account, region, names.bare_id(ap_id)))
        if ap is None or ap["FileSystemId"] != fs_id:
            return {"name": name, "error": efs_failure(ACCESS_DENIED)}
    read_only = False
    if auth.get("iam") == "ENABLED" and not role_arn:  # no credentials to mount with
        return {"name": name, "error": efs_failure(ACCESS_DENIED)}
    if auth.get("iam") == "ENABLED" or fs.get("_policy"):
        verdict = _authorize(
            app, account, fs, ap, role_arn if auth.get("iam") == "ENABLED" else None
        )
        if verdict is None:
            return {"name": name, "error": efs_failure(ACCESS_DENIED)}
        read_only = not verdict
    base = fs_dir(efs_root(app.config.data_dir), fs_id)
    try:
        path = base
        if ap is not None:
            root = ap.get("RootDirectory") or {}
            ap_path = str(root.get("Path") or "/")
            info = root.get("CreationInfo")
            if info is not None and not os.path.lexists(os.path.join(base, ap_path.lstrip("/"))):
                path = make_dirs(
                    base,
                    ap_path,
                    int(info["OwnerUid"]),
                    int(info["OwnerGid"]),
                    int(str(info["Permissions"]), 8),
                )
            else:
                path = confined(base, ap_path)
        sub = str(cfg.get("rootDirectory") or "/")
        path = confined(path, sub)
    except PathEscape as e:
        return {"name": name, "error": f"ResourceInitializationError: EFS volume {name}: {e}"}
    except OSError as e:
        return {"name": name, "error": f"ResourceInitializationError: EFS volume {name}: {e}"}
    if not os.path.isdir(path):
        shown = os.path.relpath(path, os.path.realpath(base))
        return {
            "name": name,
            "error": efs_failure(
                f"mount.nfs4: mounting {host}:/{'' if shown == '.' else shown} failed, "
                "reason given by server: No such file or directory"
            ),
        }
    root = os.path.realpath(efs_root(app.config.data_dir))
    out: Doc = {
        "hostPath": path,
        "path": os.path.relpath(path, root),
        "readOnly": read_only,
    }
    if ap is not None and ap.get("PosixUser"):
        out["posixUser"] = ap["PosixUser"]
    return {"name": name, "efs": out}


def _authorize(
    app: App, account: str, fs: Doc, ap: Doc | None, role_arn: str | None
) -> bool | None:
    """None: no mount; False: read-only; True: read-write."""
    identity: list[Policy] = []
    caller = Caller()
    ctx = ConditionContext(
        {
            "elasticfilesystem:AccessedViaMountTarget": "true",
            "aws:SecureTransport": "true",
        }
    )
    if ap is not None:
        ctx.set("elasticfilesystem:AccessPointArn", ap["AccessPointArn"])
    if role_arn is not None:
        role = iam_store.get_role_by_arn(app.store, account, role_arn)
        if role is None:
            return None
        identity = iam_store.identity_policies(app.store, account, role)
        caller = Caller(arns=frozenset({role_arn}), account=account)
        ctx.set("aws:PrincipalArn", role_arn)
        ctx.set("aws:PrincipalAccount", account)
    fs_policy = parse_policy(fs["_policy"], "resource") if fs.get("_policy") else None

    def allowed(action: str) -> bool:
        mine = evaluate(identity, action, fs["FileSystemArn"], ctx) if role_arn else None
        if mine is Decision.DENY:
            return False
        if fs_policy is None:
            return role_arn is None or mine is Decision.ALLOW
        theirs, _ = evaluate_resource_policy(fs_policy, caller, action, fs["FileSystemArn"], ctx)
        if theirs is Decision.DENY:
            return False
        return theirs is Decision.ALLOW or mine is Decision.ALLOW

    if not allowed(MOUNT):
        return None
    return allowed(WRITE)


def assignment_volumes(app: App, task: Doc) -> Doc:
    """What a task's assignment (the agent's poll item) adds for its EFS volumes and
    its volumes configured at launch (``{"name": V, "managed": {...}}``)."""
    volumes = task_volumes(app, task) + launch_items(task)
    return {"volumes": volumes} if volumes else {}
