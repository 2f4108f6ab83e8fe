"""What clusters read from their own document: the DeleteCluster guards and STATISTICS.

Services, container instances and tasks are written by other modules; here the cluster
document is given nonzero counters directly through the store of an in-process App,
and a real boto3 client talks to that App over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cargobay.app import App
from cargobay.config import Config
from cargobay.services.ecs import cluster_store
from tests.support import client, threaded_server

ACCOUNT = "000000000000"
REGION = "us-east-1"
KEY = f"{ACCOUNT}/{REGION}/busy"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[App, str]]:
    app = App(Config(data_dir=None))
    with threaded_server(app) as url:
        yield app, url


@pytest.fixture
def app_ecs(served: tuple[App, str]) -> tuple[App, Any]:
    app, url = served
    app.reset()
    return app, client("ecs", url)


def _set(app: App, **fields: Any) -> None:
    doc = app.store.get(cluster_store.TABLE, KEY)
    assert doc is not None
    stats = fields.pop("stats", None)
    doc.update(fields)
    if stats:
        doc["stats"].update(stats)
    app.store.put(cluster_store.TABLE, KEY, doc)


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"activeServicesCount": 1}, "ClusterContainsServicesException",
         "The Cluster cannot be deleted while Services are active."),
        ({"stats": {"drainingFargateServiceCount": 2}}, "ClusterContainsServicesException",
         "The Cluster cannot be deleted while Services are active."),
        ({"registeredContainerInstancesCount": 3}, "ClusterContainsContainerInstancesException",
         "The Cluster cannot be deleted while Container Instances are active or draining."),
        ({"runningTasksCount": 1}, "ClusterContainsTasksException",
         "The Cluster cannot be deleted while Tasks are active."),
        ({"pendingTasksCount": 4}, "ClusterContainsTasksException",
         "The Cluster cannot be deleted while Tasks are active."),
    ],
)
def test_delete_cluster_is_refused_while_it_holds_something(
    app_ecs: tuple[App, Any], fields: dict[str, Any], code: str, message: str
) -> None:
    app, ecs = app_ecs
    ecs.create_cluster(clusterName="busy", tags=[{"key": "k", "value": "v"}])
    _set(app, **fields)
    with pytest.raises(ClientError) as info:
        ecs.delete_cluster(cluster="busy")
    err = info.value.response
    assert err["Error"]["Code"] == code
    assert err["Error"]["Message"] == message
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    # nothing changed
    shown = ecs.describe_clusters(clusters=["busy"], include=["TAGS"])["clusters"][0]
    assert shown["status"] == "ACTIVE"
    assert shown["tags"] == [{"key": "k", "value": "v"}]
    assert len(ecs.list_clusters()["clusterArns"]) == 1


def test_services_are_reported_before_instances_and_tasks(app_ecs: tuple[App, Any]) -> None:
    app, ecs = app_ecs
    ecs.create_cluster(clusterName="busy")
    _set(app, activeServicesCount=1, registeredContainerInstancesCount=1, runningTasksCount=1)
    with pytest.raises(ClientError) as info:
        ecs.delete_cluster(cluster="busy")
    assert info.value.response["Error"]["Code"] == "ClusterContainsServicesException"
    _set(app, activeServicesCount=0)
    with pytest.raises(ClientError) as info:
        ecs.delete_cluster(cluster="busy")
    assert info.value.response["Error"]["Code"] == "ClusterContainsContainerInstancesException"
    _set(app, registeredContainerInstancesCount=0, runningTasksCount=0)
    assert ecs.delete_cluster(cluster="busy")["cluster"]["status"] == "INACTIVE"


def test_counters_and_statistics_come_from_the_cluster_document(
    app_ecs: tuple[App, Any]
) -> None:
    app, ecs = app_ecs
    ecs.create_cluster(clusterName="busy")
    _set(app, runningTasksCount=5, pendingTasksCount=2, activeServicesCount=3,
         registeredContainerInstancesCount=1,
         stats={"runningEC2TasksCount": 2, "runningFargateTasksCount": 3,
                "pendingFargateTasksCount": 2, "activeEC2ServiceCount": 1,
                "activeFargateServiceCount": 2})
    c = ecs.describe_clusters(clusters=["busy"], include=["STATISTICS"])["clusters"][0]
    assert (c["runningTasksCount"], c["pendingTasksCount"], c["activeServicesCount"],
            c["registeredContainerInstancesCount"]) == (5, 2, 3, 1)
    assert c["statistics"] == [
        {"name": "runningEC2TasksCount", "value": "2"},
        {"name": "runningFargateTasksCount", "value": "3"},
        {"name": "pendingEC2TasksCount", "value": "0"},
        {"name": "pendingFargateTasksCount", "value": "2"},
        {"name": "activeEC2ServiceCount", "value": "1"},
        {"name": "activeFargateServiceCount", "value": "2"},
        {"name": "drainingEC2ServiceCount", "value": "0"},
        {"name": "drainingFargateServiceCount", "value": "0"},
    ]
    # without STATISTICS the counters still show, the per-launch-type list does not
    plain = ecs.describe_clusters(clusters=["busy"])["clusters"][0]
    assert plain["runningTasksCount"] == 5 and plain["statistics"] == []


def test_a_stored_task_definition_can_be_tagged(app_ecs: tuple[App, Any]) -> None:
    """The task-definition module stores revisions at scope_key(ctx, family, %010d)."""
    app, ecs = app_ecs
    app.store.put("ecs.taskdefs", f"{ACCOUNT}/{REGION}/web/{7:010d}",
                  {"family": "web", "revision": 7})
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web:7"
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "app", "value": "web"}])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "app", "value": "web"}]
    ecs.untag_resource(resourceArn=arn, tagKeys=["app"])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == []
    # another revision of the same family does not exist
    with pytest.raises(ClientError) as info:
        ecs.tag_resource(resourceArn=arn.replace(":7", ":8"), tags=[{"key": "a", "value": "b"}])
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
