"""ECS clusters through boto3 and the AWS CLI: CreateCluster, DescribeClusters,
ListClusters, UpdateCluster, UpdateClusterSettings, PutClusterCapacityProviders and
DeleteCluster, with every error ECS documents for them (and nothing changed after one)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.support import aws_cli, client
from tests.support import expect_error as error

ACCOUNT = "000000000000"
REGION = "us-east-1"
STAT_NAMES = [
    "runningEC2TasksCount",
    "runningFargateTasksCount",
    "pendingEC2TasksCount",
    "pendingFargateTasksCount",
    "activeEC2ServiceCount",
    "activeFargateServiceCount",
    "drainingEC2ServiceCount",
    "drainingFargateServiceCount",
]
NOT_FOUND = "Cluster not found."


def arn(name: str, region: str = REGION) -> str:
    return f"arn:aws:ecs:{region}:{ACCOUNT}:cluster/{name}"



def names(ecs: Any) -> list[str]:
    return sorted(a.rsplit("/", 1)[1] for a in ecs.list_clusters()["clusterArns"])


def describe(ecs: Any, name: str, *include: str) -> dict[str, Any]:
    out = ecs.describe_clusters(clusters=[name], include=list(include))
    assert out["failures"] == []
    cluster: dict[str, Any] = out["clusters"][0]
    return cluster


# -- CreateCluster ----------------------------------------------------------------------


def test_create_cluster_without_a_name_makes_default_shaped_as_ecs_returns_it(ecs: Any) -> None:
    c = ecs.create_cluster()["cluster"]
    assert c == {
        "clusterArn": arn("default"),
        "clusterName": "default",
        "status": "ACTIVE",
        "registeredContainerInstancesCount": 0,
        "runningTasksCount": 0,
        "pendingTasksCount": 0,
        "activeServicesCount": 0,
        "statistics": [],
        "tags": [],
        "settings": [{"name": "containerInsights", "value": "disabled"}],
        "capacityProviders": [],
        "defaultCapacityProviderStrategy": [],
    }
    assert names(ecs) == ["default"]


def test_create_cluster_with_every_member(ecs: Any) -> None:
    configuration = {
        "executeCommandConfiguration": {
            "kmsKeyId": "key-1",
            "logging": "OVERRIDE",
            "logConfiguration": {
                "cloudWatchLogGroupName": "/exec",
                "cloudWatchEncryptionEnabled": True,
                "s3BucketName": "bucket",
                "s3EncryptionEnabled": False,
                "s3KeyPrefix": "exec/",
            },
        },
        "managedStorageConfiguration": {
            "kmsKeyId": "key-2",
            "fargateEphemeralStorageKmsKeyId": "key-3",
        },
    }
    c = ecs.create_cluster(
        clusterName="Full_cluster-1",
        tags=[{"key": "team", "value": "web"}, {"key": "empty", "value": ""}],
        settings=[{"name": "containerInsights", "value": "enhanced"}],
        configuration=configuration,
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=[
            {"capacityProvider": "FARGATE", "weight": 1, "base": 2},
            {"capacityProvider": "FARGATE_SPOT", "weight": 3},
        ],
        serviceConnectDefaults={"namespace": "shop"},
    )["cluster"]
    assert c["clusterArn"] == arn("Full_cluster-1")
    assert c["status"] == "ACTIVE"
    assert c["tags"] == [{"key": "team", "value": "web"}, {"key": "empty", "value": ""}]
    assert c["settings"] == [{"name": "containerInsights", "value": "enhanced"}]
    assert c["configuration"] == configuration
    assert c["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert c["defaultCapacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 2},
        {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0},
    ]
    ns = c["serviceConnectDefaults"]["namespace"]
    assert ns.startswith(f"arn:aws:servicediscovery:{REGION}:{ACCOUNT}:namespace/ns-")
    # the same namespace name always stands for the same namespace
    again = ecs.update_cluster(cluster="Full_cluster-1",
                               serviceConnectDefaults={"namespace": "shop"})["cluster"]
    assert again["serviceConnectDefaults"]["namespace"] == ns
    shown = describe(ecs, "Full_cluster-1", "CONFIGURATIONS", "SETTINGS", "TAGS")
    assert shown["configuration"] == configuration
    assert shown["settings"] == c["settings"]
    assert shown["tags"] == c["tags"]


def test_create_cluster_keeps_a_namespace_arn_of_this_account_and_region(ecs: Any) -> None:
    ns = f"arn:aws:servicediscovery:{REGION}:{ACCOUNT}:namespace/ns-abcdefgh12345678"
    c = ecs.create_cluster(clusterName="sc", serviceConnectDefaults={"namespace": ns})
    assert c["cluster"]["serviceConnectDefaults"] == {"namespace": ns}


def test_container_insights_defaults_to_the_account_setting(ecs: Any) -> None:
    ecs.put_account_setting_default(name="containerInsights", value="enabled")
    assert describe(ecs, ecs.create_cluster(clusterName="a")["cluster"]["clusterArn"],
                    "SETTINGS")["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    # the caller's own setting wins over the account default
    ecs.put_account_setting(name="containerInsights", value="enhanced")
    c = ecs.create_cluster(clusterName="b")["cluster"]
    assert c["settings"] == [{"name": "containerInsights", "value": "enhanced"}]
    # a setting on the request wins over both
    c = ecs.create_cluster(clusterName="c",
                           settings=[{"name": "containerInsights", "value": "disabled"}])
    assert c["cluster"]["settings"] == [{"name": "containerInsights", "value": "disabled"}]


def test_create_cluster_is_idempotent_for_an_active_cluster(ecs: Any) -> None:
    first = ecs.create_cluster(clusterName="same", tags=[{"key": "a", "value": "1"}],
                               capacityProviders=["FARGATE"])["cluster"]
    second = ecs.create_cluster(
        clusterName="same",
        tags=[{"key": "b", "value": "2"}],
        settings=[{"name": "containerInsights", "value": "enhanced"}],
        capacityProviders=["FARGATE"],
    )["cluster"]
    assert second == first
    assert names(ecs) == ["same"]
    assert describe(ecs, "same", "TAGS", "SETTINGS")["tags"] == [{"key": "a", "value": "1"}]
    assert ecs.list_tags_for_resource(resourceArn=arn("same"))["tags"] == [
        {"key": "a", "value": "1"}
    ]


def test_create_cluster_again_with_other_capacity_providers_is_inconsistent(ecs: Any) -> None:
    ecs.create_cluster(clusterName="cp", capacityProviders=["FARGATE"])
    msg = error(lambda: ecs.create_cluster(clusterName="cp", capacityProviders=["FARGATE_SPOT"]),
                "InvalidParameterException")
    assert "inconsistent" in msg
    error(lambda: ecs.create_cluster(
        clusterName="cp", capacityProviders=["FARGATE"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
    ), "InvalidParameterException")
    c = describe(ecs, "cp")
    assert c["capacityProviders"] == ["FARGATE"]
    assert c["defaultCapacityProviderStrategy"] == []


@pytest.mark.parametrize("name", ["bad name", "a" * 256, "dots.in.name", "slash/x", "", "é"])
def test_create_cluster_refuses_names_ecs_refuses(ecs: Any, name: str) -> None:
    error(lambda: ecs.create_cluster(clusterName=name), "InvalidParameterException")
    assert names(ecs) == []


def test_create_cluster_accepts_a_255_character_name(ecs: Any) -> None:
    name = "A-b_9" * 51
    assert ecs.create_cluster(clusterName=name)["cluster"]["clusterName"] == name


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"settings": [{"name": "containerInsights", "value": "on"}]},
         "InvalidParameterException"),
        ({"settings": [{"name": "containerInsights"}]}, "InvalidParameterException"),
        ({"settings": [{"name": "other", "value": "enabled"}]}, "ValidationException"),
        ({"tags": [{"key": "aws:reserved", "value": "x"}]}, "InvalidParameterException"),
        ({"tags": [{"key": "k" * 129, "value": "x"}]}, "ValidationException"),
        ({"capacityProviders": ["NOPE"]}, "InvalidParameterException"),
        ({"capacityProviders": ["FARGATE", "FARGATE"]}, "InvalidParameterException"),
        ({"capacityProviders": ["FARGATE"],
          "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT"}]},
         "InvalidParameterException"),
        ({"defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE"}]},
         "InvalidParameterException"),
        ({"capacityProviders": ["FARGATE", "FARGATE_SPOT"],
          "defaultCapacityProviderStrategy": [
              {"capacityProvider": "FARGATE", "base": 1},
              {"capacityProvider": "FARGATE_SPOT", "base": 1}]},
         "InvalidParameterException"),
        ({"capacityProviders": ["FARGATE"],
          "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1001}]},
         "ValidationException"),
        ({"configuration": {"executeCommandConfiguration": {"logging": "OVERRIDE"}}},
         "InvalidParameterException"),
        ({"serviceConnectDefaults": {"namespace": "has/slash"}}, "InvalidParameterException"),
        ({"serviceConnectDefaults": {"namespace": "arn:aws:servicediscovery:eu-west-1:"
                                                  f"{ACCOUNT}:namespace/ns-abc"}},
         "NamespaceNotFoundException"),
    ],
)
def test_create_cluster_refuses_bad_members_and_creates_nothing(
    ecs: Any, kwargs: dict[str, Any], code: str
) -> None:
    error(lambda: ecs.create_cluster(clusterName="bad", **kwargs), code)
    assert names(ecs) == []
    assert ecs.describe_clusters(clusters=["bad"])["failures"] == [
        {"arn": arn("bad"), "reason": "MISSING"}
    ]


def test_unknown_capacity_provider_message(ecs: Any) -> None:
    msg = error(lambda: ecs.create_cluster(clusterName="x", capacityProviders=["mine"]),
                "InvalidParameterException")
    assert msg == ("The specified capacity provider was not found. Specify a valid capacity "
                   "provider and try again.")


# -- DescribeClusters ---------------------------------------------------------------------


def test_describe_clusters_defaults_to_the_default_cluster(ecs: Any) -> None:
    out = ecs.describe_clusters()
    assert out["clusters"] == []
    assert out["failures"] == [{"arn": arn("default"), "reason": "MISSING"}]
    ecs.create_cluster()
    out = ecs.describe_clusters()
    assert [c["clusterName"] for c in out["clusters"]] == ["default"]
    assert out["failures"] == []


def test_describe_clusters_by_name_and_arn_with_missing_ones_as_failures(ecs: Any) -> None:
    ecs.create_cluster(clusterName="one")
    ecs.create_cluster(clusterName="two")
    other_region = arn("one", "eu-west-1")
    out = ecs.describe_clusters(clusters=["one", arn("two"), "ghost", arn("phantom"),
                                          other_region])
    assert [c["clusterArn"] for c in out["clusters"]] == [arn("one"), arn("two")]
    assert out["failures"] == [
        {"arn": arn("ghost"), "reason": "MISSING"},
        {"arn": arn("phantom"), "reason": "MISSING"},
        {"arn": other_region, "reason": "MISSING"},
    ]


def test_describe_clusters_without_include_leaves_the_extras_empty(ecs: Any) -> None:
    ecs.create_cluster(
        clusterName="plain", tags=[{"key": "k", "value": "v"}],
        configuration={"executeCommandConfiguration": {"logging": "DEFAULT"}},
    )
    c = describe(ecs, "plain")
    assert c["statistics"] == [] and c["tags"] == [] and c["settings"] == []
    assert "configuration" not in c and "attachments" not in c


@pytest.mark.parametrize("include", ["ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS",
                                     "TAGS"])
def test_describe_clusters_include_adds_exactly_that_field(ecs: Any, include: str) -> None:
    ecs.create_cluster(
        clusterName="rich", tags=[{"key": "k", "value": "v"}],
        configuration={"executeCommandConfiguration": {"logging": "NONE"}},
        capacityProviders=["FARGATE"],
    )
    c = describe(ecs, "rich", include)
    expected = {
        "ATTACHMENTS": ("attachments", []),
        "CONFIGURATIONS": ("configuration", {"executeCommandConfiguration": {"logging": "NONE"}}),
        "SETTINGS": ("settings", [{"name": "containerInsights", "value": "disabled"}]),
        "STATISTICS": ("statistics", [{"name": n, "value": "0"} for n in STAT_NAMES]),
        "TAGS": ("tags", [{"key": "k", "value": "v"}]),
    }
    field, value = expected[include]
    assert c[field] == value
    for other, (f, _) in expected.items():
        if other != include:
            assert c.get(f) in (None, []), f
    assert c["capacityProviders"] == ["FARGATE"]


def test_describe_clusters_with_every_include(ecs: Any) -> None:
    ecs.create_cluster(clusterName="all", tags=[{"key": "k", "value": "v"}])
    c = describe(ecs, "all", "ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS")
    assert [s["name"] for s in c["statistics"]] == STAT_NAMES
    assert c["tags"] == [{"key": "k", "value": "v"}]
    assert c["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    assert c["attachments"] == []


def test_describe_clusters_takes_up_to_100(ecs: Any) -> None:
    out = ecs.describe_clusters(clusters=[f"c{i}" for i in range(100)])
    assert len(out["failures"]) == 100
    error(lambda: ecs.describe_clusters(clusters=[f"c{i}" for i in range(101)]),
          "InvalidParameterException")


def test_describe_clusters_refuses_an_arn_that_is_not_a_cluster(ecs: Any) -> None:
    error(lambda: ecs.describe_clusters(
        clusters=[f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/one/web"]), "InvalidParameterException")


# -- ListClusters -------------------------------------------------------------------------


def test_list_clusters_pages_with_max_results_and_next_token(ecs: Any) -> None:
    made = {ecs.create_cluster(clusterName=f"page-{i:02d}")["cluster"]["clusterArn"]
            for i in range(25)}
    seen: list[str] = []
    sizes: list[int] = []
    token: str | None = None
    for _ in range(10):
        kwargs: dict[str, Any] = {"maxResults": 10}
        if token:
            kwargs["nextToken"] = token
        out = ecs.list_clusters(**kwargs)
        sizes.append(len(out["clusterArns"]))
        seen += out["clusterArns"]
        token = out.get("nextToken")
        if token is None:
            break
    assert sizes == [10, 10, 5]
    assert len(seen) == 25 and set(seen) == made
    paged = [a for p in ecs.get_paginator("list_clusters").paginate(
        PaginationConfig={"PageSize": 7}) for a in p["clusterArns"]]
    assert sorted(paged) == sorted(made)


def test_list_clusters_returns_at_most_100_by_default(ecs: Any) -> None:
    for i in range(105):
        ecs.create_cluster(clusterName=f"many-{i:03d}")
    first = ecs.list_clusters()
    assert len(first["clusterArns"]) == 100
    rest = ecs.list_clusters(nextToken=first["nextToken"])
    assert len(rest["clusterArns"]) == 5 and "nextToken" not in rest
    assert len(set(first["clusterArns"]) | set(rest["clusterArns"])) == 105


@pytest.mark.parametrize("max_results", [0, 101, -1])
def test_list_clusters_refuses_max_results_out_of_range(ecs: Any, max_results: int) -> None:
    error(lambda: ecs.list_clusters(maxResults=max_results), "InvalidParameterException")


def test_list_clusters_refuses_a_token_it_did_not_give(ecs: Any) -> None:
    error(lambda: ecs.list_clusters(nextToken="%%% not a token"), "InvalidParameterException")
    error(lambda: ecs.list_clusters(nextToken="b3RoZXIvcmVnaW9uL3g="), "InvalidParameterException")


# -- UpdateCluster / UpdateClusterSettings / PutClusterCapacityProviders ---------------------


def test_update_cluster_settings_configuration_and_service_connect(ecs: Any) -> None:
    ecs.create_cluster(clusterName="up")
    c = ecs.update_cluster(
        cluster="up",
        settings=[{"name": "containerInsights", "value": "enabled"}],
        configuration={"managedStorageConfiguration": {"kmsKeyId": "k1"}},
        serviceConnectDefaults={"namespace": "apps"},
    )["cluster"]
    assert c["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert c["configuration"] == {"managedStorageConfiguration": {"kmsKeyId": "k1"}}
    assert "serviceConnectDefaults" in c
    # a later configuration keeps the parts it does not name
    c = ecs.update_cluster(
        cluster=arn("up"),
        configuration={"executeCommandConfiguration": {"logging": "DEFAULT"}},
        serviceConnectDefaults={"namespace": ""},
    )["cluster"]
    assert c["configuration"] == {
        "managedStorageConfiguration": {"kmsKeyId": "k1"},
        "executeCommandConfiguration": {"logging": "DEFAULT"},
    }
    assert "serviceConnectDefaults" not in c
    shown = describe(ecs, "up", "SETTINGS", "CONFIGURATIONS")
    assert shown["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert shown["configuration"] == c["configuration"]


def test_update_cluster_settings(ecs: Any) -> None:
    ecs.create_cluster(clusterName="s")
    c = ecs.update_cluster_settings(
        cluster="s", settings=[{"name": "containerInsights", "value": "enhanced"}])["cluster"]
    assert c["settings"] == [{"name": "containerInsights", "value": "enhanced"}]
    assert describe(ecs, "s", "SETTINGS")["settings"] == c["settings"]


def test_refused_updates_change_nothing(ecs: Any) -> None:
    ecs.create_cluster(clusterName="keep", serviceConnectDefaults={"namespace": "n1"})
    before = describe(ecs, "keep", "SETTINGS", "CONFIGURATIONS", "TAGS")
    error(lambda: ecs.update_cluster(
        cluster="keep", settings=[{"name": "containerInsights", "value": "yes"}]),
        "InvalidParameterException")
    error(lambda: ecs.update_cluster(
        cluster="keep", settings=[{"name": "containerInsights", "value": "enabled"}],
        configuration={"executeCommandConfiguration": {"logging": "OVERRIDE"}}),
        "InvalidParameterException")
    error(lambda: ecs.update_cluster(
        cluster="keep", serviceConnectDefaults={"namespace": 'quote"d'}),
        "InvalidParameterException")
    error(lambda: ecs.update_cluster_settings(
        cluster="keep", settings=[{"name": "containerInsights", "value": "ENABLED"}]),
        "InvalidParameterException")
    error(lambda: ecs.put_cluster_capacity_providers(
        cluster="keep", capacityProviders=["FARGATE", "ghost"],
        defaultCapacityProviderStrategy=[]), "InvalidParameterException")
    assert describe(ecs, "keep", "SETTINGS", "CONFIGURATIONS", "TAGS") == before


@pytest.mark.parametrize(
    "call",
    [
        lambda e, c: e.update_cluster(cluster=c, settings=[]),
        lambda e, c: e.update_cluster_settings(
            cluster=c, settings=[{"name": "containerInsights", "value": "enabled"}]),
        lambda e, c: e.put_cluster_capacity_providers(
            cluster=c, capacityProviders=[], defaultCapacityProviderStrategy=[]),
        lambda e, c: e.delete_cluster(cluster=c),
    ],
    ids=["UpdateCluster", "UpdateClusterSettings", "PutClusterCapacityProviders",
         "DeleteCluster"],
)
def test_operations_on_an_unknown_cluster_are_cluster_not_found(
    ecs: Any, call: Callable[[Any, str], Any]
) -> None:
    for ref in ("ghost", arn("ghost"), arn("ghost", "eu-west-1")):
        assert error(functools.partial(call, ecs, ref), "ClusterNotFoundException") == NOT_FOUND


def test_put_cluster_capacity_providers(ecs: Any) -> None:
    ecs.create_cluster(clusterName="cap")
    c = ecs.put_cluster_capacity_providers(
        cluster="cap", capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 2}],
    )["cluster"]
    assert c["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert c["defaultCapacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE_SPOT", "weight": 2, "base": 0}
    ]
    c = ecs.put_cluster_capacity_providers(cluster="cap", capacityProviders=[],
                                           defaultCapacityProviderStrategy=[])["cluster"]
    assert c["capacityProviders"] == [] and c["defaultCapacityProviderStrategy"] == []


# -- DeleteCluster ------------------------------------------------------------------------


def test_delete_cluster_makes_it_inactive_and_unlisted(ecs: Any) -> None:
    ecs.create_cluster(clusterName="gone", tags=[{"key": "k", "value": "v"}])
    ecs.create_cluster(clusterName="stays")
    c = ecs.delete_cluster(cluster="gone")["cluster"]
    assert c["status"] == "INACTIVE" and c["clusterArn"] == arn("gone")
    assert c["tags"] == []
    assert names(ecs) == ["stays"]
    # an INACTIVE cluster remains discoverable for a while
    shown = describe(ecs, "gone", "TAGS")
    assert shown["status"] == "INACTIVE" and shown["tags"] == []
    # deleting it again answers with it as it is
    assert ecs.delete_cluster(cluster=arn("gone"))["cluster"]["status"] == "INACTIVE"
    # and it takes no more changes
    assert error(lambda: ecs.update_cluster_settings(
        cluster="gone", settings=[{"name": "containerInsights", "value": "enabled"}]),
        "ClusterNotFoundException") == NOT_FOUND
    error(lambda: ecs.tag_resource(resourceArn=arn("gone"), tags=[{"key": "a", "value": "b"}]),
          "ClusterNotFoundException")


def test_a_deleted_name_can_be_created_again_afresh(ecs: Any) -> None:
    ecs.create_cluster(clusterName="again", tags=[{"key": "old", "value": "1"}],
                       settings=[{"name": "containerInsights", "value": "enabled"}],
                       capacityProviders=["FARGATE"])
    ecs.delete_cluster(cluster="again")
    c = ecs.create_cluster(clusterName="again", capacityProviders=["FARGATE_SPOT"])["cluster"]
    assert c["status"] == "ACTIVE"
    assert c["tags"] == []
    assert c["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    assert c["capacityProviders"] == ["FARGATE_SPOT"]
    assert names(ecs) == ["again"]


# -- Regions ------------------------------------------------------------------------------


def test_clusters_are_per_region(url: str) -> None:
    east = client("ecs", url, region="us-east-1")
    west = client("ecs", url, region="eu-west-1")
    east.create_cluster(clusterName="shared", tags=[{"key": "r", "value": "east"}])
    assert west.list_clusters()["clusterArns"] == []
    assert west.describe_clusters(clusters=["shared"])["failures"] == [
        {"arn": arn("shared", "eu-west-1"), "reason": "MISSING"}
    ]
    error(lambda: west.delete_cluster(cluster="shared"), "ClusterNotFoundException")
    error(lambda: west.list_tags_for_resource(resourceArn=arn("shared")),
          "ClusterNotFoundException")
    w = west.create_cluster(clusterName="shared")["cluster"]
    assert w["clusterArn"] == arn("shared", "eu-west-1")
    west.delete_cluster(cluster="shared")
    assert east.list_clusters()["clusterArns"] == [arn("shared")]
    assert describe(east, "shared", "TAGS")["tags"] == [{"key": "r", "value": "east"}]


# -- AWS CLI ------------------------------------------------------------------------------


def test_cluster_lifecycle_with_the_aws_cli(url: str) -> None:
    def cli(*args: str) -> Any:
        return json.loads(aws_cli(url, "ecs", *args).stdout)

    made = cli("create-cluster", "--cluster-name", "cli-1", "--tags", "key=team,value=ops",
               "--settings", "name=containerInsights,value=enhanced")["cluster"]
    assert made["clusterArn"] == arn("cli-1")
    shown = cli("describe-clusters", "--clusters", "cli-1", "--include", "TAGS", "SETTINGS",
                "STATISTICS")["clusters"][0]
    assert shown["tags"] == [{"key": "team", "value": "ops"}]
    assert shown["settings"] == [{"name": "containerInsights", "value": "enhanced"}]
    assert [s["name"] for s in shown["statistics"]] == STAT_NAMES
    assert cli("list-clusters")["clusterArns"] == [arn("cli-1")]
    assert cli("delete-cluster", "--cluster", "cli-1")["cluster"]["status"] == "INACTIVE"
    assert cli("list-clusters")["clusterArns"] == []
    failed = aws_cli(url, "ecs", "delete-cluster", "--cluster", "nope", check=False)
    assert failed.returncode != 0
    assert "ClusterNotFoundException" in failed.stderr and NOT_FOUND in failed.stderr
