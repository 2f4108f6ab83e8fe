from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig

from tests.support import REGION, client

ACCOUNT = "000000000000"
Policy = dict[str, Any]


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def session_client(service: str, url: str, creds: dict[str, str], region: str = REGION) -> Any:
    """A boto3 client signing with ``creds`` (AccessKeyId, SecretAccessKey[, SessionToken])."""
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
        config=BotoConfig(retries={"max_attempts": 1}),
    )


@pytest.fixture
def iam(url: str) -> Any:
    return client("iam", url)


@pytest.fixture
def sts(url: str) -> Any:
    return client("sts", url)


@pytest.fixture
def new_user(iam: Any) -> Callable[..., dict[str, str]]:
    """Create a user with an access key and (optionally) an inline policy; its key."""

    def make(name: str, *statements: dict[str, Any]) -> dict[str, str]:
        iam.create_user(UserName=name)
        if statements:
            iam.put_user_policy(UserName=name, PolicyName="inline",
                                PolicyDocument=policy(*statements))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}

    return make
