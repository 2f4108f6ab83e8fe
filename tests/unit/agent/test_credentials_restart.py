"""Task-role credentials survive an agent restart: the credentials id and token (never
the keys) are kept in the task's record and the state file (mode 0600); a restarted
agent that adopts the task's containers serves the same id and token with fresh keys."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Any

import orjson

from cargobay.agent.assignment import Assignment
from cargobay.agent.runtime import ContainerHandle, ContainerSpec
from cargobay.agent.state import AgentState, StateFile, TaskRecord
from cargobay.agent.task_iam import TaskIam
from cargobay.clock import RealClock
from tests.unit.agent.fakes import FakeApi, FakeRuntime, assignment, container, make_runner

ROLE = "arn:aws:iam::000000000000:role/app"


class FakePlane:
    """Issues numbered keys for the task's role; records releases."""

    def __init__(self) -> None:
        self.issued = 0
        self.released: list[str] = []

    async def post(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0)
        if name == "release":
            self.released.append(body["taskArn"])
            return {}
        self.issued += 1
        return {"RoleArn": ROLE, "AccessKeyId": f"ASIAKEY{self.issued}",
                "SecretAccessKey": f"secret{self.issued}", "Token": f"tok{self.issued}",
                "Expiration": "2030-01-01T00:00:00Z", "expiresAt": 1_900_000_000.0}


class AdoptingRuntime(FakeRuntime):
    """Its containers outlive the agent, as Docker's do."""

    def __init__(self) -> None:
        super().__init__()
        self.adopted: list[str] = []

    async def adopt(self, handle: ContainerHandle, spec: ContainerSpec) -> None:
        assert handle.id in self.containers
        self.adopted.append(handle.id)


def iam_for(plane: FakePlane) -> TaskIam:
    return TaskIam(RealClock(), plane, endpoint_url="http://127.0.0.1:9",  # type: ignore[arg-type]
                   instance_arn=lambda: "i", base_url=lambda: "http://127.0.0.1:51679")


def with_role(role: str = ROLE) -> Assignment:
    task = assignment(container("app"))
    doc = task.to_doc()
    doc["taskDefinition"]["taskRoleArn"] = role
    return Assignment.from_doc(doc)


def ask(iam: TaskIam, env: dict[str, str], token: str | None = None) -> tuple[int, Any]:
    path = "/v2/credentials/" + env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].rsplit("/", 1)[-1]
    auth = env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] if token is None else token
    return iam.answer(path, "", {"authorization": auth})


def run(body: Any) -> Any:
    return asyncio.run(asyncio.wait_for(body(), 10))


def test_the_state_file_keeps_the_id_and_token_owner_only(tmp_path: Path) -> None:
    state = StateFile(str(tmp_path))
    assert state.path is not None
    Path(state.path + ".tmp").write_text("old")  # a leftover with the default mode
    os.chmod(state.path + ".tmp", 0o644)
    rec = TaskRecord("arn:t", {"taskArn": "arn:t"},
                     credentials={"id": "abc", "token": "tkn", "roleArn": ROLE})
    state.save(AgentState(cluster="c", tasks={"arn:t": rec}))
    assert stat.S_IMODE(os.stat(state.path).st_mode) == 0o600
    loaded = state.load().tasks["arn:t"]
    assert loaded.credentials == {"id": "abc", "token": "tkn", "roleArn": ROLE}
    # a record without credentials, or with a broken entry, has none
    assert TaskRecord.from_doc({"taskArn": "x"}).credentials is None
    assert TaskRecord.from_doc({"taskArn": "x", "credentials": {"id": "a"}}).credentials is None
    assert "credentials" not in TaskRecord("x", {}).to_doc()


def test_a_restarted_manager_serves_the_same_id_and_token_with_fresh_keys() -> None:
    plane = FakePlane()

    async def body() -> None:
        task = with_role()
        first = iam_for(plane)
        env = await first.environment(task)
        status, doc = ask(first, env)
        assert status == 200 and doc["AccessKeyId"] == "ASIAKEY1"
        saved = first.saved(task.task_arn)
        assert saved is not None and saved["roleArn"] == ROLE
        assert "ASIAKEY1" not in orjson.dumps(saved).decode()
        first.close()

        again = iam_for(plane)  # the restarted agent
        assert ask(again, env)[0] == 400  # unknown before adoption
        assert again.adopt(task, saved)
        assert ask(again, env)[0] == 400  # adopted, keys not fetched yet
        env2 = await again.environment(task)
        assert env2 == env
        status, doc = ask(again, env)
        assert status == 200 and doc["AccessKeyId"] == "ASIAKEY2" and doc["RoleArn"] == ROLE
        assert ask(again, env, token="wrong")[0] == 403
        await again.release(task.task_arn)
        assert ask(again, env)[0] == 400 and plane.released == [task.task_arn]
        again.close()

    run(body)


def test_saved_credentials_for_another_role_or_no_role_are_not_adopted() -> None:
    plane = FakePlane()
    iam = iam_for(plane)
    saved = {"id": "abc", "token": "tkn", "roleArn": ROLE}
    assert not iam.adopt(with_role("arn:aws:iam::000000000000:role/other"), saved)
    assert not iam.adopt(assignment(container("app")), saved)
    assert not iam.adopt(with_role(), None)
    assert not iam.adopt(with_role(), {"id": "abc"})
    assert iam.saved(with_role().task_arn) is None


def test_a_runner_that_resumes_adopted_containers_keeps_their_credentials_endpoint() -> None:
    plane, rt, api = FakePlane(), AdoptingRuntime(), FakeApi()

    async def body() -> None:
        task = with_role()
        iam1 = iam_for(plane)
        r1 = make_runner(task, rt, api, iam=iam1)
        t1 = asyncio.create_task(r1.run())
        for _ in range(1000):
            if r1.known == "RUNNING":
                break
            await asyncio.sleep(0.005)
        assert r1.known == "RUNNING"
        given = rt.containers["c1"].spec.environment
        env = {k: v for k, v in given.items() if k.startswith("AWS_CONTAINER_")}
        assert r1.record.credentials is not None
        assert r1.record.credentials["token"] == env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        t1.cancel()  # the agent stops; the container keeps running
        await asyncio.gather(t1, return_exceptions=True)
        iam1.close()

        # the restarted agent: a new manager, the record as read back from the file
        iam2 = iam_for(plane)
        record = TaskRecord.from_doc(orjson.loads(orjson.dumps(r1.record.to_doc())))
        r2 = make_runner(task, rt, api, iam=iam2)
        r2.record = record
        t2 = asyncio.create_task(r2.run())
        for _ in range(1000):
            if rt.adopted and ask(iam2, env)[0] == 200:
                break
            await asyncio.sleep(0.005)
        assert rt.adopted == ["c1"]
        status, doc = ask(iam2, env)
        assert status == 200 and doc["AccessKeyId"] == "ASIAKEY2"
        r2.update(Assignment.from_doc({**task.to_doc(), "desiredStatus": "STOPPED"}))
        await asyncio.wait_for(t2, 5)
        assert plane.released == [task.task_arn]
        assert ask(iam2, env)[0] == 400 and record.credentials is None
        iam2.close()

    run(body)
