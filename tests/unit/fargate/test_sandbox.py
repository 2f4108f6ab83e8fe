"""The Fargate sandbox sizes each container to its task, and keeps ``adopt`` only when
the runtime under it has one."""

from __future__ import annotations

from cargobay.agent.runtime import ContainerSpec
from cargobay.agent.runtime.process import ProcessRuntime
from cargobay.clock import SimClock
from cargobay.fargate.plane import operation_name, task_key
from cargobay.fargate.sandbox import AdoptingSizedRuntime, SizedRuntime, sized


def spec(**kw: object) -> ContainerSpec:
    return ContainerSpec(task_id="t", name="c", image="i", **kw)  # type: ignore[arg-type]


def test_every_container_gets_the_task_memory_and_cpu_quota() -> None:
    rt = SizedRuntime(ProcessRuntime(SimClock()), cpu=512, memory=1024)
    s = rt.size(spec())
    assert (s.memory, s.nano_cpus) == (1024, 500_000_000)
    assert rt.size(spec(memory=256)).memory == 256  # its own smaller limit stays
    assert rt.size(spec(memory=4096)).memory == 1024  # never above the task's
    assert rt.size(spec(memory_reservation=2048)).memory_reservation == 1024


class _Adopting(ProcessRuntime):
    async def adopt(self, handle: object, spec: object) -> None:
        return None


def test_adopt_only_when_the_runtime_can() -> None:
    assert not isinstance(sized(ProcessRuntime(SimClock()), cpu=256, memory=512),
                          AdoptingSizedRuntime)
    assert isinstance(sized(_Adopting(SimClock()), cpu=256, memory=512), AdoptingSizedRuntime)


def test_in_process_calls_are_named_and_keyed_as_the_model_and_store_have_them() -> None:
    assert operation_name("submit_task_state_change") == "SubmitTaskStateChange"
    assert task_key("arn:aws:ecs:us-east-1:000000000000:task/c1/abc") == (
        "000000000000/us-east-1/c1/abc")
    assert task_key("arn:aws:ecs:us-east-1:000000000000:task/abc") is None
