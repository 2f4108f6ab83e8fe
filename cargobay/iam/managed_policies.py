"""The AWS managed policies ECS guides use, with AWS's statements (data/aws_managed_policies.json).

Each is ``arn:aws:iam::aws:policy<Path><Name>``, read-only, and shaped like a customer
managed policy document (one version, the default).  ``ReadOnlyAccess`` carries the
subset of AWS's statement that covers the services cargobay serves (and a few the ECS
console reads); the others are AWS's documents as published.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from cargobay.iam.conditions import parse_date
from cargobay.iam.names import POLICY_ID_PREFIX, aws_policy_arn

Doc = dict[str, Any]
_DATA = Path(__file__).parent / "data" / "aws_managed_policies.json"


def _policy_id(name: str) -> str:
    digest = base64.b32encode(hashlib.sha256(name.encode()).digest()).decode()
    return POLICY_ID_PREFIX + digest[:17]


@functools.cache
def _all() -> dict[str, Doc]:
    out: dict[str, Doc] = {}
    for raw in json.loads(_DATA.read_text()):
        arn = aws_policy_arn(raw["Path"], raw["PolicyName"])
        version = raw["DefaultVersionId"]
        out[arn] = {
            "PolicyName": raw["PolicyName"],
            "PolicyId": _policy_id(raw["PolicyName"]),
            "Arn": arn,
            "Path": raw["Path"],
            "DefaultVersionId": version,
            "AttachmentCount": 0,
            "PermissionsBoundaryUsageCount": 0,
            "IsAttachable": True,
            "Description": raw["Description"],
            "CreateDate": parse_date(raw["CreateDate"]),
            "UpdateDate": parse_date(raw["UpdateDate"]),
            "Versions": {
                version: {
                    "Document": json.dumps(raw["Document"], indent=4),
                    "CreateDate": parse_date(raw["UpdateDate"]),
                }
            },
            "AwsManaged": True,
        }
    return out


def by_arn(arn: str) -> Doc | None:
    """The AWS managed policy (a copy), or None."""
    found = _all().get(arn)
    return json.loads(json.dumps(found)) if found is not None else None


def all_arns() -> list[str]:
    return sorted(_all())


def document_text(arn: str) -> str | None:
    found = _all().get(arn)
    if found is None:
        return None
    return str(found["Versions"][found["DefaultVersionId"]]["Document"])
