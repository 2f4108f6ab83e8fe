"""An instance's credentials: its instance profile's role, served by the server.

The agent of an instance whose launch configuration names an IamInstanceProfile gets
``AWS_CONTAINER_CREDENTIALS_FULL_URI=<server>/_cargobay/autoscaling/credentials/
<account>/<region>/<instance id>`` and ``AWS_CONTAINER_AUTHORIZATION_TOKEN`` (a secret
per instance): botocore's container provider, which the agent's credential chain asks
(cargobay/agent/credentials.py), reads them and refreshes them before they expire.

Each answer is ``{RoleArn, AccessKeyId, SecretAccessKey, Token, Expiration}`` for the
role assumed as ``ec2.amazonaws.com`` (the role's trust policy must allow that
service, as on EC2) with the instance id as session name; a set is reused until 20
minutes before it expires (botocore refreshes 15 minutes before).  Wrong token: 401;
unknown or terminated instance: 404; a role that cannot be assumed: 403.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cargobay.iam.trust import AssumeRequest, assume_role
from cargobay.protocol.errors import AwsError
from cargobay.protocol.http import HttpRequest, HttpResponse, json_response
from cargobay.services.autoscaling import instance_profiles, names
from cargobay.services.autoscaling.base import TERMINATED

if TYPE_CHECKING:
    from cargobay.app import App

PREFIX = "/_cargobay/autoscaling/credentials/"
EC2_SERVICE = "ec2.amazonaws.com"
REUSE_MARGIN = 20 * 60.0


def path_for(account: str, region: str, instance_id: str) -> str:
    return f"{PREFIX}{account}/{region}/{instance_id}"




def _iso(when: float) -> str:
    return datetime.fromtimestamp(when, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class InstanceCredentials:
    def __init__(self, app: App) -> None:
        self.app = app
        self._cache: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        self._cache.clear()

    def forget(self, instance_id: str) -> None:
        self._cache.pop(instance_id, None)

    def handle(self, req: HttpRequest) -> HttpResponse:
        if req.method != "GET":
            return json_response(405, {"message": "Method not allowed"})
        parts = req.path[len(PREFIX):].split("/")
        if len(parts) != 3:
            return json_response(404, {"message": "Not found"})
        account, region, iid = parts
        doc = self.app.store.get(names.INSTANCES, names.scope(account, region) + iid)
        if doc is None or doc.get("LifecycleState") == TERMINATED or not doc.get("token"):
            return json_response(404, {"message": f"No credentials for instance {iid}"})
        given = req.header("authorization")
        if not hmac.compare_digest(given.encode(), str(doc["token"]).encode()):
            return json_response(401, {"message": "Authorization token is not valid"})
        now = self.app.clock.now()
        cached = self._cache.get(iid)
        if cached is not None and cached["_expires"] - now > REUSE_MARGIN:
            return json_response(200, {k: v for k, v in cached.items() if not k.startswith("_")})
        role = instance_profiles.role_arn(self.app.store, account, doc.get("profile") or "")
        if role is None:
            message = f"Instance profile {doc.get('profile')} has no role"
            return json_response(403, {"message": message})
        try:
            assumed = assume_role(
                self.app,
                AssumeRequest(
                    role_arn=role, session_name=iid, source_account=account,
                    source_arn=f"arn:aws:ec2:{region}:{account}:instance/{iid}",
                ),
                service=EC2_SERVICE, region=region,
            )
        except AwsError as err:
            return json_response(403, {"code": err.code, "message": err.message})
        c = assumed.credentials
        body = {
            "RoleArn": role, "AccessKeyId": c.access_key_id,
            "SecretAccessKey": c.secret_access_key, "Token": c.session_token,
            "Expiration": _iso(c.expiration), "_expires": c.expiration,
        }
        self._cache[iid] = body
        return json_response(200, {k: v for k, v in body.items() if not k.startswith("_")})
