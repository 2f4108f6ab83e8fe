"""``cargobay up | server | agent``: the command line."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys

from cargobay import __version__
from cargobay.config import Config


def _server_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", help="address to listen on (CARGOBAY_HOST, default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (CARGOBAY_PORT, default 4747)")
    p.add_argument("--data-dir", help="where state is kept (CARGOBAY_DATA_DIR, default ./data)")
    p.add_argument("--in-memory", action="store_true", help="keep no state on disk")
    p.add_argument("--account-id", help="account id in ARNs (CARGOBAY_ACCOUNT_ID)")
    p.add_argument("--region", help="region when a request names none (CARGOBAY_REGION)")
    p.add_argument("--log-level", help="debug, info, warning (CARGOBAY_LOG_LEVEL)")


def _runtime_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--runtime",
        choices=("docker", "process"),
        help="how tasks run (CARGOBAY_RUNTIME; default: docker if an engine answers, else process)",
    )


def _agent_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--endpoint", required=True, help="the control plane's URL")
    p.add_argument("--cluster", default="default", help="cluster to join (default: default)")
    _runtime_flag(p)
    p.add_argument("--data-dir", help="the agent's state and container logs (default: none)")
    p.add_argument("--cpu", type=int, help="CPU units to offer (default: 1024 per core)")
    p.add_argument("--memory", type=int, help="MiB to offer (default: host memory less 256)")
    p.add_argument(
        "--attribute",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an instance attribute (repeatable), e.g. ecs.availability-zone=us-east-1b",
    )
    p.add_argument("--region", default=None, help="region (CARGOBAY_REGION, default us-east-1)")
    p.add_argument(
        "--profile",
        help="shared config profile for the agent's own credentials (default: botocore's "
        "chain: AWS_ACCESS_KEY_ID/..., AWS_PROFILE...; else the root keys)",
    )
    p.add_argument("--log-level", help="debug, info, warning (CARGOBAY_LOG_LEVEL)")
    p.add_argument(
        "--instance-id",
        help="the EC2 instance id this host reports (i-<8 or 17 hex>; default: random, kept "
        "in the data dir)",
    )


def config_from(args: argparse.Namespace) -> Config:
    cfg = Config()
    for name in ("host", "port", "data_dir", "account_id", "region", "log_level", "runtime"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(cfg, name, value)
    if getattr(args, "in_memory", False):
        cfg.data_dir = None
    return cfg


def _banner(cfg: Config) -> str:
    url = cfg.endpoint
    state = cfg.data_dir or "memory only"
    key, secret = cfg.root_access_key_id, cfg.root_secret_access_key
    return f"""cargobay {__version__} — ECS on {url}  (state: {state})

  AWS CLI:  aws --endpoint-url {url} --region {cfg.region} ecs list-clusters
  boto3:    boto3.client("ecs", endpoint_url="{url}", region_name="{cfg.region}",
                         aws_access_key_id="{key}", aws_secret_access_key="{secret}")
  or:       export AWS_ENDPOINT_URL={url} AWS_ACCESS_KEY_ID={key} AWS_SECRET_ACCESS_KEY={secret}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cargobay", description="Amazon ECS, run yourself.")
    parser.add_argument("--version", action="version", version=f"cargobay {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _server_flags(sub.add_parser("server", help="run the control plane"))
    up = sub.add_parser("up", help="run the control plane and a local instance")
    _server_flags(up)
    _runtime_flag(up)
    _agent_flags(sub.add_parser("agent", help="run an agent (a container instance) on this host"))
    args = parser.parse_args(argv)
    cfg = config_from(args)
    logging.basicConfig(
        level=cfg.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "agent":
        return run_agent(args, cfg)
    from cargobay.server import serve

    if args.command == "up":
        if not _runtime_usable(cfg.runtime):
            print("cargobay: --runtime docker: no Docker engine answers", file=sys.stderr)
            return 2
        from cargobay.agent.embedded import AppWithAgent

        print(_banner(cfg), file=sys.stderr, flush=True)
        serve(cfg, AppWithAgent(cfg))
        return 0
    serve(cfg)
    return 0


def _runtime_usable(kind: str | None) -> bool:
    if kind != "docker":
        return True
    from cargobay.agent.runtime.docker import engine_answers

    return engine_answers()


def run_agent(args: argparse.Namespace, cfg: Config) -> int:
    """``cargobay agent``: run until SIGTERM/SIGINT (exit 0); 2 for bad flags."""
    import asyncio
    import signal

    from cargobay.agent.agent import Agent, AgentConfig
    from cargobay.agent.registration import parse_attribute

    try:
        attributes = dict(parse_attribute(a) for a in args.attribute)
    except ValueError as e:
        print(f"cargobay agent: {e}", file=sys.stderr)
        return 2
    if not _runtime_usable(cfg.runtime):
        print("cargobay agent: --runtime docker: no Docker engine answers", file=sys.stderr)
        return 2
    if args.instance_id:
        import os
        import re

        from cargobay.agent.registration import INSTANCE_ID_ENV

        if not re.fullmatch(r"i-([0-9a-f]{8}|[0-9a-f]{17})", args.instance_id):
            print(f"cargobay agent: --instance-id {args.instance_id}: expected i-<17 hex>",
                  file=sys.stderr)
            return 2
        os.environ[INSTANCE_ID_ENV] = args.instance_id
    config = AgentConfig(
        endpoint=args.endpoint,
        cluster=args.cluster,
        runtime=cfg.runtime,
        data_dir=args.data_dir,
        cpu=args.cpu,
        memory=args.memory,
        attributes=attributes,
        region=cfg.region,
        profile=args.profile,
    )
    import botocore.exceptions

    from cargobay.agent.credentials import AgentCredentials

    try:
        AgentCredentials.resolve(args.profile)
    except botocore.exceptions.BotoCoreError as e:  # unknown profile, unreadable config
        print(f"cargobay agent: {e}", file=sys.stderr)
        return 2

    async def main() -> None:
        agent = Agent(config)
        task = asyncio.ensure_future(agent.run())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
    return 0


if __name__ == "__main__":
    sys.exit(main())
