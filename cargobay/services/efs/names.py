"""EFS ids, ARNs and store keys.

Tables: ``efs.filesystems``, ``efs.accesspoints``, ``efs.mounttargets`` (keys
``<account>/<region>/<id>``), ``efs.tokens`` (``<account>/<region>/fs/<CreationToken>``
and ``…/ap/<ClientToken>`` → the id they created).
"""

from __future__ import annotations

import secrets

from cargobay.protocol.base import RequestContext

FILE_SYSTEMS = "efs.filesystems"
ACCESS_POINTS = "efs.accesspoints"
MOUNT_TARGETS = "efs.mounttargets"
TOKENS = "efs.tokens"


def new_id(prefix: str) -> str:
    """``fs-``, ``fsap-``, ``fsmt-`` or ``eni-`` and 17 hex digits, as EFS hands out."""
    return f"{prefix}-{secrets.token_hex(9)[:17]}"


def key(ctx: RequestContext, *parts: str) -> str:
    return "/".join((ctx.account_id, ctx.region, *parts))


def prefix(ctx: RequestContext) -> str:
    return f"{ctx.account_id}/{ctx.region}/"


def fs_arn(ctx: RequestContext, fs_id: str) -> str:
    return f"arn:aws:elasticfilesystem:{ctx.region}:{ctx.account_id}:file-system/{fs_id}"


def ap_arn(ctx: RequestContext, ap_id: str) -> str:
    return f"arn:aws:elasticfilesystem:{ctx.region}:{ctx.account_id}:access-point/{ap_id}"


def bare_id(ref: str) -> str:
    """``fs-…``/``fsap-…`` from an id or an ARN."""
    return ref.rsplit("/", 1)[-1] if ref.startswith("arn:") else ref
