"""``cargobay up | server``: the command line."""

from __future__ import annotations

import argparse
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


def config_from(args: argparse.Namespace) -> Config:
    cfg = Config()
    for name in ("host", "port", "data_dir", "account_id", "region", "log_level"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(cfg, name, value)
    if getattr(args, "in_memory", False):
        cfg.data_dir = None
    return cfg


def _banner(cfg: Config) -> str:
    url = cfg.endpoint
    state = cfg.data_dir or "memory only"
    return f"""cargobay {__version__} — ECS on {url}  (state: {state})

  AWS CLI:  aws --endpoint-url {url} --region {cfg.region} ecs list-clusters
  boto3:    boto3.client("ecs", endpoint_url="{url}", region_name="{cfg.region}",
                         aws_access_key_id="test", aws_secret_access_key="test")
  or:       export AWS_ENDPOINT_URL={url} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cargobay", description="Amazon ECS, run yourself.")
    parser.add_argument("--version", action="version", version=f"cargobay {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _server_flags(sub.add_parser("server", help="run the control plane"))
    _server_flags(sub.add_parser("up", help="run the control plane and a local instance"))
    args = parser.parse_args(argv)
    cfg = config_from(args)
    logging.basicConfig(
        level=cfg.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from cargobay.server import serve

    if args.command == "up":
        print(_banner(cfg), file=sys.stderr, flush=True)
    serve(cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
