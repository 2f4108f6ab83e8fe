"""The agent's own credentials: the one place every signed agent request takes them from.

botocore's standard chain is asked first: the environment (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``), the shared config and credentials
files (``--profile`` / ``AWS_PROFILE``), a credential process, the container provider
(``AWS_CONTAINER_CREDENTIALS_FULL_URI``)...  EC2 instance metadata is left out: it is
the real EC2's (169.254.169.254), not cargobay's.  When the chain yields nothing the
agent signs with the bootstrap root keys (``CARGOBAY_ROOT_ACCESS_KEY_ID`` /
``_SECRET_ACCESS_KEY``, default test/test).

Credentials that refresh (the container provider, assumed-role profiles) are re-read
before each signing (:meth:`AgentCredentials.frozen`), and a session token is sent
(``X-Amz-Security-Token``) on every signed request.  They are never passed to a task.
"""

from __future__ import annotations

from typing import Any

import botocore.config
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from cargobay.config import Config

#: ``cargobay up``: its embedded agent signs with the root keys unless this is "1"
USE_ENV_FLAG = "CARGOBAY_AGENT_USE_ENV_CREDENTIALS"
#: botocore's provider that reads EC2 instance metadata (never asked: see above)
IMDS_PROVIDER = "iam-role"
ROOT_METHOD = "cargobay-root"


class AgentCredentials:
    """The agent's keys and the botocore session that signs with them."""

    def __init__(self, session: botocore.session.Session, method: str) -> None:
        self.session = session
        #: where the keys came from: botocore's method name ("env", "shared-credentials-
        #: file", "container-role", "assume-role"...) or "cargobay-root"
        self.method = method

    @classmethod
    def resolve(cls, profile: str | None = None, *, chain: bool = True) -> AgentCredentials:
        """botocore's chain (with ``profile``) when ``chain`` and it yields keys, else the
        root keys.  Raises botocore's ProfileNotFound for an unknown ``profile``."""
        session = botocore.session.Session(profile=profile)
        if chain:
            resolver = session.get_component("credential_provider")
            resolver.remove(IMDS_PROVIDER)
            creds = session.get_credentials()
            if creds is not None:
                return cls(session, str(creds.method))
        cfg = Config()
        session.set_credentials(cfg.root_access_key_id, cfg.root_secret_access_key)
        return cls(session, ROOT_METHOD)

    def frozen(self) -> Credentials:
        """The keys as they are now (refreshable credentials are refreshed if due)."""
        creds = self.session.get_credentials()
        assert creds is not None  # resolve() made sure there are some
        f = creds.get_frozen_credentials()
        return Credentials(str(f.access_key), str(f.secret_key), f.token)

    @property
    def access_key_id(self) -> str:
        return str(self.frozen().access_key)

    def sign(self, req: AWSRequest, region: str, service: str = "ecs") -> None:
        """SigV4-sign ``req`` in place (with X-Amz-Security-Token for session keys)."""
        SigV4Auth(self.frozen(), service, region).add_auth(req)

    def client(
        self, service: str, endpoint: str, region: str, config: botocore.config.Config
    ) -> Any:
        """A botocore client that signs with these credentials (refreshing as botocore does)."""
        return self.session.create_client(
            service, endpoint_url=endpoint, region_name=region, config=config
        )
