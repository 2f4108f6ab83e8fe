"""The assembled control plane: config, clock, store, services and the dispatcher."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from cargobay.clock import Clock, RealClock
from cargobay.config import Config
from cargobay.protocol.dispatch import Dispatcher
from cargobay.store import Store, open_store

log = logging.getLogger("cargobay")

ServiceFactory = Callable[["App"], dict[str, object]]


def default_services(app: App) -> dict[str, object]:
    """Every service cargobay serves, by botocore service name."""
    from cargobay.iam.iam_service import IamService
    from cargobay.iam.sts_service import StsService
    from cargobay.services.application_autoscaling.service import (
        ApplicationAutoScalingService,
    )
    from cargobay.services.autoscaling.service import AutoScalingService
    from cargobay.services.cloudwatch.service import CloudWatchService
    from cargobay.services.ecs.service import EcsService
    from cargobay.services.efs.service import EfsService
    from cargobay.services.events.service import EventsService
    from cargobay.services.logs.service import LogsService
    from cargobay.services.secrets.secretsmanager import SecretsManagerService
    from cargobay.services.secrets.ssm import SsmService
    from cargobay.services.sns.service import SnsService
    from cargobay.services.sqs.service import SqsService

    return {
        "ecs": EcsService(app),
        "iam": IamService(app),
        "sts": StsService(app),
        "secretsmanager": SecretsManagerService(app),
        "ssm": SsmService(app),
        "events": EventsService(app),
        "sqs": SqsService(app),
        "sns": SnsService(app),
        "autoscaling": AutoScalingService(app),
        "logs": LogsService(app),
        "efs": EfsService(app),
        "application-autoscaling": ApplicationAutoScalingService(app),
        "cloudwatch": CloudWatchService(app),
    }


class App:
    def __init__(
        self,
        config: Config | None = None,
        *,
        clock: Clock | None = None,
        store: Store | None = None,
        services: ServiceFactory = default_services,
    ) -> None:
        self.config = config or Config()
        self.clock: Clock = clock or RealClock()
        self.store: Store = store if store is not None else open_store(self.config.store_path())
        from cargobay.services.ecs.agent_channel import AgentChannel

        #: the long poll agents receive their tasks through (docs/agent-protocol.md)
        self.agent_channel = AgentChannel(self)
        self.services = services(self)
        from cargobay.iam.authorizer import Authorizer

        #: SigV4 and IAM policies on every request (CARGOBAY_AUTH_MODE)
        self.authorizer = Authorizer(self)
        self.dispatcher = Dispatcher(
            self.services,
            default_region=self.config.region,
            account_id=self.config.account_id,
            authorizer=self.authorizer,
        )

    def service_names(self) -> list[str]:
        return sorted(self.services)

    def reset(self) -> None:
        """Forget all state, in every service and region."""
        self.store.clear()
        for svc in self.services.values():
            hook: Any = getattr(svc, "reset", None)
            if callable(hook):
                hook()

    async def start(self) -> None:
        for svc in self.services.values():
            hook: Any = getattr(svc, "start", None)
            if callable(hook):
                await hook()

    async def stop(self) -> None:
        for svc in self.services.values():
            hook: Any = getattr(svc, "stop", None)
            if callable(hook):
                await hook()
        self.store.close()
