"""Fargate addresses: one live task per address, freed with the task, handed out round."""

from __future__ import annotations

import random

import pytest

from cargobay.services.ecs import fargate_network as net
from cargobay.store.memory import MemoryStore


def test_addresses_are_unique_freed_and_handed_out_round(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(net, "SIZE", 4)
    store = MemoryStore()
    got = [net.allocate(store, f"t{i}") for i in range(4)]
    assert got == ["127.1.0.1", "127.1.0.2", "127.1.0.3", "127.1.0.4"]
    assert net.allocate(store, "t5") is None  # all taken
    assert not net.release(store, "127.1.0.2", "someone-else")  # only the holder frees
    assert net.release(store, "127.1.0.2", "t1")
    assert net.allocate(store, "t6") == "127.1.0.2"
    assert net.holder(store, "127.1.0.2") == "t6"


def test_host_numbers_cover_the_slash_16() -> None:
    assert net.address(1) == "127.1.0.1"
    assert net.address(256) == "127.1.1.0"
    assert net.address(net.SIZE) == "127.1.255.254"


def test_eni_attachment_shape_and_status_only_moves_forward() -> None:
    eni = net.eni_attachment("127.1.0.9", ["subnet-a"], "eu-west-1", random.Random(1))
    names = [d["name"] for d in eni["details"]]
    assert names == ["subnetId", "networkInterfaceId", "macAddress", "privateDnsName",
                     "privateIPv4Address"]
    values = {d["name"]: d["value"] for d in eni["details"]}
    assert values["privateDnsName"] == "ip-127-1-0-9.eu-west-1.compute.internal"
    assert values["networkInterfaceId"].startswith("eni-")
    assert len(values["networkInterfaceId"]) == 21
    task = {"attachments": [eni]}
    assert net.task_address(task) == "127.1.0.9"
    assert net.attachment_changed(task, {"attachmentArn": f"arn:aws:ecs:x:1:attachment/{eni['id']}",
                                         "status": "ATTACHED"})
    assert net.set_eni_status(task, "DETACHED")
    assert not net.attachment_changed(task, {"attachmentArn": eni["id"], "status": "ATTACHED"})
    assert eni["status"] == "DETACHED"
