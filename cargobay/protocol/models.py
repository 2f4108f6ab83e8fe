"""botocore's service models, loaded once and indexed for routing."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import botocore.session
from botocore.model import OperationModel, ServiceModel


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def service_model(name: str) -> ServiceModel:
    """The botocore model of service ``name`` (e.g. ``ecs``, ``cloudwatch``)."""
    return _session().get_service_model(name)


def signing_name(model: ServiceModel) -> str:
    """The service name SigV4 credential scopes carry for this service."""
    md = model.metadata
    return str(md.get("signingName") or md.get("endpointPrefix") or model.service_name)


def protocols(model: ServiceModel) -> list[str]:
    md = model.metadata
    return list(md.get("protocols") or [md["protocol"]])


@dataclass
class ServiceIndex:
    """Routing tables over the models of the services cargobay serves."""

    by_name: dict[str, ServiceModel] = field(default_factory=dict)
    by_target_prefix: dict[str, ServiceModel] = field(default_factory=dict)
    by_signing_name: dict[str, ServiceModel] = field(default_factory=dict)
    operations: dict[str, dict[str, OperationModel]] = field(default_factory=dict)

    def add(self, name: str) -> ServiceModel:
        model = service_model(name)
        self.by_name[name] = model
        prefix = model.metadata.get("targetPrefix")
        if prefix:
            self.by_target_prefix[prefix] = model
        self.by_signing_name[signing_name(model)] = model
        self.operations[name] = {
            op: model.operation_model(op) for op in model.operation_names
        }
        return model

    def operation(self, service: str, name: str) -> OperationModel | None:
        return self.operations.get(service, {}).get(name)
