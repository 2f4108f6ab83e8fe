"""The metadata endpoint's answers and the poll client's HTTP handling."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from cargobay.agent.channel import ChannelError, PollClient
from cargobay.agent.ecs_client import Unreachable
from cargobay.agent.metadata_server import MetadataServer
from cargobay.agent.runtime import ContainerHandle
from tests.unit.agent.fakes import FakeApi, FakeRuntime, assignment, container, make_runner


def test_metadata_paths_and_shapes() -> None:
    rt, api = FakeRuntime(), FakeApi()

    async def body() -> dict[str, Any]:
        task = assignment(
            container("app", cpu=10, memory=64),
            availabilityZone="us-east-1c",
            containers=[{"name": "app", "containerArn": "arn:c"}],
        )
        task.task_definition.update(cpu="512", memory="1024")
        r = make_runner(task, rt, api)
        t = asyncio.create_task(r.run())
        for _ in range(200):
            if r.known == "RUNNING":
                break
            await asyncio.sleep(0.005)
        c = r.containers["app"]
        server = MetadataServer(
            lambda tok: (r, c) if tok == c.token else None, rt.stats, zone="us-east-1a"
        )
        out = {
            "container": await server.answer("GET", f"/v4/{c.token}"),
            "task": await server.answer("GET", f"/v4/{c.token}/task"),
            "stats": await server.answer("GET", f"/v4/{c.token}/stats"),
            "stats2": await server.answer("GET", f"/v4/{c.token}/stats"),
            "taskstats": await server.answer("GET", f"/v4/{c.token}/task/stats"),
            "unknown": await server.answer("GET", "/v4/nope/task"),
            "post": await server.answer("POST", f"/v4/{c.token}"),
        }
        r.stop("x")
        await t
        return out

    out = asyncio.run(body())
    status, mine = out["container"]
    assert status == 200 and mine["Name"] == "app" and mine["DockerId"] == "c1"
    assert mine["Limits"] == {"CPU": 10, "Memory": 64} and mine["ContainerARN"] == "arn:c"
    assert mine["KnownStatus"] == "RUNNING" and mine["DesiredStatus"] == "RUNNING"
    assert mine["CreatedAt"].endswith("Z") and mine["StartedAt"].endswith("Z")
    status, task = out["task"]
    assert task["Limits"] == {"CPU": 0.5, "Memory": 1024}
    assert task["AvailabilityZone"] == "us-east-1c" and task["Revision"] == "3"
    assert task["Containers"][0]["DockerName"].startswith("ecs-fam-3-app-")
    _, stats = out["stats"]
    assert stats["memory_stats"] == {
        "usage": 10 << 20,
        "max_usage": 10 << 20,
        "stats": {},
        "limit": 64 << 20,
    }
    assert stats["cpu_stats"]["cpu_usage"]["total_usage"] == 1_500_000_000
    assert stats["preread"] == "0001-01-01T00:00:00Z"
    assert out["stats2"][1]["precpu_stats"]["cpu_usage"]["total_usage"] == 1_500_000_000
    assert set(out["taskstats"][1]) == {"c1"}
    assert out["unknown"][0] == 404 and out["post"][0] == 405


async def _serve_once(answers: list[bytes]) -> tuple[asyncio.Server, int, list[bytes]]:
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for answer in answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            seen.append(await reader.readexactly(length))
            writer.write(answer)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], seen


def test_poll_reads_chunked_and_sized_answers_on_one_connection() -> None:
    body = json.dumps({"version": 3, "tasks": []}).encode()
    chunked = (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        + f"{len(body):x}\r\n".encode()
        + body
        + b"\r\n0\r\n\r\n"
    )
    sized = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)

    async def body_() -> list[Any]:
        server, port, seen = await _serve_once([chunked, sized])
        client = PollClient(f"http://127.0.0.1:{port}", "us-east-1")
        got = [await client.poll({"version": 0}, 5), await client.poll({"version": 3}, 5)]
        client.close()
        server.close()
        return [got, seen]

    got, seen = asyncio.run(body_())
    assert got == [{"version": 3, "tasks": []}] * 2
    assert [json.loads(s)["version"] for s in seen] == [0, 3]


def test_poll_errors() -> None:
    refusal = json.dumps({"__type": "UnknownInstanceException", "message": "who?"}).encode()
    answer = b"HTTP/1.1 400 Bad\r\ncontent-length: %d\r\n\r\n%s" % (len(refusal), refusal)

    async def body() -> None:
        server, port, _ = await _serve_once([answer])
        client = PollClient(f"http://127.0.0.1:{port}", "us-east-1")
        with pytest.raises(ChannelError) as e:
            await client.poll({}, 5)
        assert e.value.code == "UnknownInstanceException" and e.value.status == 400
        server.close()
        await server.wait_closed()
        with pytest.raises(Unreachable):
            await PollClient(f"http://127.0.0.1:{port}", "us-east-1").poll({}, 2)

    asyncio.run(body())


def test_handles_are_plain_ids() -> None:
    assert ContainerHandle("c1", "n").id == "c1"
