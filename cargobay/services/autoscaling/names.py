"""Store tables, keys and ARNs of EC2 Auto Scaling resources.

Keys are ``<account>/<region>/<name>`` (instances: ``…/<instance id>``; activities:
``…/<group>/<start ms, zero padded>/<activity id>``), so accounts and regions never see
each other's resources.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid

from cargobay.protocol.base import RequestContext

LAUNCH_CONFIGS = "autoscaling.launch_configs"
GROUPS = "autoscaling.groups"
INSTANCES = "autoscaling.instances"
ACTIVITIES = "autoscaling.activities"
#: scaling policies, key ``<group key>/<policy name>``
POLICIES = "autoscaling.policies"
#: policy ARN → {"key": policy key}
POLICY_ARNS = "autoscaling.policy_arns"


def scope(account: str, region: str) -> str:
    return f"{account}/{region}/"


def ctx_scope(ctx: RequestContext) -> str:
    return scope(ctx.account_id, ctx.region)


def key(ctx: RequestContext, name: str) -> str:
    return ctx_scope(ctx) + name


def group_arn(ctx: RequestContext, name: str) -> str:
    return (f"arn:aws:autoscaling:{ctx.region}:{ctx.account_id}:autoScalingGroup:"
            f"{uuid.uuid4()}:autoScalingGroupName/{name}")


def launch_config_arn(ctx: RequestContext, name: str) -> str:
    return (f"arn:aws:autoscaling:{ctx.region}:{ctx.account_id}:launchConfiguration:"
            f"{uuid.uuid4()}:launchConfigurationName/{name}")


def name_from(text: str, kind: str) -> str:
    """A group or launch configuration named by name or by ARN (``…:<kind>Name/<name>``)."""
    marker = f":{kind}Name/"
    if text.startswith("arn:") and marker in text:
        return text.split(marker, 1)[1]
    return text


def new_instance_id() -> str:
    return "i-" + secrets.token_hex(9)[:17]


def encode_token(last_key: str) -> str:
    return base64.urlsafe_b64encode(last_key.encode()).decode()


def decode_token(token: str | None, prefix: str) -> str | None:
    """The key a NextToken continues after (None: from the start); ValueError if bad."""
    if not token:
        return None
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(token) from None
    if not text.startswith(prefix):
        raise ValueError(token)
    return text
