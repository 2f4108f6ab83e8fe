"""What ECS derives from a task definition: ``compatibilities`` and ``requiresAttributes``.

``compatibilities`` (TaskDefinition API reference: "Amazon ECS validates the task
definition parameters with those supported by the launch type"): ``EC2`` always;
``EXTERNAL`` first when the definition can run on ECS Anywhere (not ``awsvpc``, no EFS or
FSx volumes, no Elastic Inference); ``FARGATE`` after ``EC2`` when it can run on Fargate
(``awsvpc``, a Fargate cpu/memory pair, nothing Fargate lacks); ``MANAGED_INSTANCES``
when the caller asked for it.  Real answers read ``["EXTERNAL", "EC2"]`` for a bridge
definition and ``["EC2", "FARGATE"]`` for a Fargate one.

``requiresAttributes`` lists the container-instance attributes a definition needs, one
``{"name": ...}`` each, as ECS reports them.  The rules below come from the API reference
("This parameter requires version 1.18 of the Docker Remote API...") and from real
DescribeTaskDefinition answers:

- ``taskRoleArn`` → ``com.amazonaws.ecs.capability.task-iam-role`` (and
  ``...task-iam-role-network-host`` in ``host`` mode);
- ``networkMode`` ``awsvpc`` → ``ecs.capability.task-eni``;
- ``logConfiguration`` → ``...logging-driver.<driver>`` and docker-remote-api 1.18, its
  ``options`` 1.19; ``awslogs`` with an execution role → ``ecs.capability.execution-role-awslogs``;
  ``secretOptions`` → ``ecs.capability.secrets.<ssm|asm>.bootstrap.log-driver``;
- an Amazon ECR image → ``...ecr-auth``, and with an execution role
  ``ecs.capability.execution-role-ecr-pull``;
- ``repositoryCredentials`` → ``ecs.capability.private-registry-authentication.secretsmanager``;
- ``privileged`` → ``...privileged-container``; ``dockerLabels``/``ulimits`` → 1.18;
  ``memoryReservation`` → 1.21; ``healthCheck`` → 1.24 and
  ``ecs.capability.container-health-check``; ``initProcessEnabled`` → 1.25;
- ``secrets`` → ``ecs.capability.secrets.<ssm|asm>.environment-variables``;
- ``dependsOn``/``startTimeout``/``stopTimeout`` → ``ecs.capability.container-ordering``;
- ``pidMode``/``ipcMode`` → ``ecs.capability.pid-ipc-namespace-sharing``;
- ``firelensConfiguration`` → ``ecs.capability.firelens.<type>`` (and
  ``...firelens.options.config.<file|s3>`` for a ``config-file-type`` option);
- ``environmentFiles`` → ``ecs.capability.env-files.s3``;
- EFS volumes → ``ecs.capability.efs`` (``ecs.capability.efsAuth`` with IAM, an access
  point or transit encryption); FSx for Windows → ``ecs.capability.fsxWindowsFileServer``;
  Docker volumes → 1.25 and ``ecs.capability.docker-plugin.<driver>`` for a non-local driver;
- ``proxyConfiguration`` → ``ecs.capability.aws-appmesh``;
- ``containerPortRange`` → ``ecs.capability.container-port-range``;
- an enabled ``restartPolicy`` → ``ecs.capability.container-restart-policy``.
"""

from __future__ import annotations

from typing import Any

from cargobay.services.ecs.taskdef_checks import external_problems, fargate_problems, is_ecr_image

Doc = dict[str, Any]

LEGACY = "com.amazonaws.ecs.capability."
CAP = "ecs.capability."


def compatibilities(td: Doc, task_cpu: int | None, task_memory: int | None) -> list[str]:
    out = ["EC2"]
    if not external_problems(td):
        out.insert(0, "EXTERNAL")
    if not fargate_problems(td, task_cpu, task_memory):
        out.append("FARGATE")
    if "MANAGED_INSTANCES" in td.get("requiresCompatibilities", []):
        out.append("MANAGED_INSTANCES")
    return out


def _docker(version: int) -> str:
    return f"{LEGACY}docker-remote-api.1.{version}"


def _secret_store(value_from: str) -> str:
    return "asm" if ":secretsmanager:" in value_from else "ssm"


def requires_attributes(td: Doc) -> list[dict[str, str]]:
    names: list[str] = []

    def need(name: str) -> None:
        if name not in names:
            names.append(name)

    mode = td.get("networkMode", "bridge")
    has_exec_role = bool(td.get("executionRoleArn"))
    if td.get("taskRoleArn"):
        need(LEGACY + "task-iam-role")
        if mode == "host":
            need(LEGACY + "task-iam-role-network-host")
    if mode == "awsvpc":
        need(CAP + "task-eni")
    if "pidMode" in td or "ipcMode" in td:
        need(CAP + "pid-ipc-namespace-sharing")
    if "proxyConfiguration" in td:
        need(CAP + "aws-appmesh")
    for c in td["containerDefinitions"]:
        _container_attributes(c, has_exec_role, need)
    for v in td.get("volumes", []):
        _volume_attributes(v, need)
    return [{"name": n} for n in names]


def _container_attributes(c: Doc, has_exec_role: bool, need: Any) -> None:
    log = c.get("logConfiguration")
    if log is not None:
        driver = log["logDriver"]
        need(f"{LEGACY}logging-driver.{driver}")
        need(_docker(18))
        if log.get("options"):
            need(_docker(19))
        if driver == "awslogs" and has_exec_role:
            need(CAP + "execution-role-awslogs")
        for s in log.get("secretOptions", []):
            need(f"{CAP}secrets.{_secret_store(s.get('valueFrom', ''))}.bootstrap.log-driver")
    if is_ecr_image(c.get("image", "")):
        need(LEGACY + "ecr-auth")
        if has_exec_role:
            need(CAP + "execution-role-ecr-pull")
    if "repositoryCredentials" in c:
        need(CAP + "private-registry-authentication.secretsmanager")
    if c.get("privileged"):
        need(LEGACY + "privileged-container")
    if "dockerLabels" in c or "ulimits" in c:
        need(_docker(18))
    if "memoryReservation" in c:
        need(_docker(21))
    if "healthCheck" in c:
        need(CAP + "container-health-check")
        need(_docker(24))
    if (c.get("linuxParameters") or {}).get("initProcessEnabled") is not None:
        need(_docker(25))
    for s in c.get("secrets", []):
        need(f"{CAP}secrets.{_secret_store(s.get('valueFrom', ''))}.environment-variables")
    if "dependsOn" in c or "startTimeout" in c or "stopTimeout" in c:
        need(CAP + "container-ordering")
    firelens = c.get("firelensConfiguration")
    if firelens is not None:
        need(f"{CAP}firelens.{firelens['type']}")
        kind = (firelens.get("options") or {}).get("config-file-type")
        if kind in ("file", "s3"):
            need(f"{CAP}firelens.options.config.{kind}")
    if c.get("environmentFiles"):
        need(CAP + "env-files.s3")
    if any("containerPortRange" in pm for pm in c.get("portMappings", [])):
        need(CAP + "container-port-range")
    if (c.get("restartPolicy") or {}).get("enabled"):
        need(CAP + "container-restart-policy")


def _volume_attributes(v: Doc, need: Any) -> None:
    efs = v.get("efsVolumeConfiguration")
    if efs is not None:
        need(CAP + "efs")
        auth = efs.get("authorizationConfig") or {}
        if auth or efs.get("transitEncryption") == "ENABLED":
            need(CAP + "efsAuth")
    if "fsxWindowsFileServerVolumeConfiguration" in v:
        need(CAP + "fsxWindowsFileServer")
    docker = v.get("dockerVolumeConfiguration")
    if docker is not None:
        need(_docker(25))
        driver = docker.get("driver")
        if driver and driver != "local":
            need(f"{CAP}docker-plugin.{driver}")
