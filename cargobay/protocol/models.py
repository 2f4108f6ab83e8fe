"""botocore's service models, loaded once and indexed for routing."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import botocore.session
from botocore.model import OperationModel, ServiceModel

#: older botocore models kept for clients that still speak a protocol the current
#: model dropped (``<service>/<apiVersion>/service-2.json``; see its NOTICE)
LEGACY_MODELS = Path(__file__).parent / "legacy_models"


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def service_model(name: str) -> ServiceModel:
    """The botocore model of service ``name`` (e.g. ``ecs``, ``cloudwatch``)."""
    return _session().get_service_model(name)


@functools.cache
def legacy_query_model(name: str) -> ServiceModel | None:
    """The legacy query model of service ``name``, when its current model no longer
    speaks query but an older one (same API version) is kept in ``legacy_models/``."""
    current = service_model(name)
    if "query" in protocols(current):
        return None
    path = LEGACY_MODELS / name / str(current.api_version) / "service-2.json"
    if not path.is_file():
        return None
    model = ServiceModel(json.loads(path.read_text(encoding="utf-8")), service_name=name)
    return model if "query" in protocols(model) else None


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
    #: service name → its legacy query model (see :func:`legacy_query_model`)
    legacy_query: dict[str, ServiceModel] = field(default_factory=dict)

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
        legacy = legacy_query_model(name)
        if legacy is not None:
            self.legacy_query[name] = legacy
        return model

    def operation(self, service: str, name: str) -> OperationModel | None:
        return self.operations.get(service, {}).get(name)

    def operation_in(self, model: ServiceModel, name: str) -> OperationModel | None:
        """Operation ``name`` as ``model`` describes it (a served or a legacy model)."""
        if model is self.legacy_query.get(model.service_name):
            return model.operation_model(name) if name in model.operation_names else None
        return self.operation(model.service_name, name)
