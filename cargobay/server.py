"""The ASGI application: cargobay's own endpoints, then the AWS protocol dispatcher."""

from __future__ import annotations

import logging
from typing import Any

import orjson

from cargobay import __version__
from cargobay.app import App
from cargobay.config import Config
from cargobay.protocol.errors import AwsError
from cargobay.protocol.http import HttpRequest, HttpResponse, json_response

log = logging.getLogger("cargobay.server")

Scope = dict[str, Any]
Message = dict[str, Any]


class AsgiApp:
    def __init__(self, app: App) -> None:
        self.app = app
        self.ready = False

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                try:
                    await self.app.start()
                except Exception as exc:  # report, so the server exits instead of hanging
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                self.ready = True
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                self.ready = False
                await self.app.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Any, send: Any) -> None:
        chunks: list[bytes] = []
        while True:
            msg = await receive()
            chunks.append(msg.get("body", b""))
            if not msg.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        req = HttpRequest(
            method=scope["method"],
            path=scope["path"],
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=b"".join(chunks),
            raw_path=(scope.get("raw_path") or b"").decode("latin-1"),
        )
        resp = self._own(req)
        if resp is None and req.path.startswith("/_cargobay/agent/"):
            resp = await self._agent(req)
        if resp is None and req.path.startswith("/_cargobay/"):
            # /_cargobay/<service>/...: a service's own HTTP endpoints (SNS certificate,
            # subscription confirmation links...) through its ``handle_http``
            svc = self.app.services.get(req.path.split("/", 3)[2])
            hook: Any = getattr(svc, "handle_http", None)
            if hook is not None:
                resp = await hook(req)
        if resp is None:
            resp = await self.app.dispatcher.handle(req)
        await send(
            {
                "type": "http.response.start",
                "status": resp.status,
                "headers": [
                    *((k.encode("latin-1"), v.encode("latin-1")) for k, v in resp.headers),
                    (b"content-length", str(len(resp.body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": resp.body})

    async def _agent(self, req: HttpRequest) -> HttpResponse:
        """The agents' long poll: SigV4-verified like an ECS API call, and the caller
        allowed ``ecs:Poll`` on the instance it names (the same check as the agent's
        credentials endpoint), then served."""
        from cargobay.services.ecs.agent_credentials import AgentRequestError, check_caller

        try:
            identity = self.app.authorizer.authenticate_request(req, "ecs")
            instance_arn = _poll_instance(req.body)
            if instance_arn is not None:  # else the channel answers BadRequestException
                check_caller(self.app, identity, instance_arn)
        except AwsError as err:
            return json_response(err.status, {"__type": err.code, "message": err.message})
        except AgentRequestError as err:
            return json_response(err.status, {"__type": err.code, "message": err.message})
        return await self.app.agent_channel.handle(req)

    def _own(self, req: HttpRequest) -> HttpResponse | None:
        """cargobay's own endpoints: health and reset."""
        if req.path in ("/health", "/_cargobay/health") and req.method in ("GET", "HEAD"):
            body = {
                "status": "ready" if self.ready else "starting",
                "version": __version__,
                "services": self.app.service_names(),
            }
            return json_response(200 if self.ready else 503, body)
        if req.path == "/_cargobay/reset" and req.method == "POST":
            self.app.reset()
            return json_response(200, {"reset": True})
        return None


def _poll_instance(raw: bytes) -> str | None:
    """The ``containerInstanceArn`` a poll body names, if it is readable."""
    try:
        body = orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError:
        return None
    arn = body.get("containerInstanceArn") if isinstance(body, dict) else None
    return arn if isinstance(arn, str) else None




def serve(config: Config, app: App | None = None) -> None:
    """Run the control plane until SIGTERM/SIGINT, then shut down and return (exit 0)."""
    import asyncio
    import contextlib
    import signal
    from collections.abc import Iterator

    import uvicorn

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # Signals are ours (below): uvicorn would re-raise SIGTERM after shutdown,
            # turning a clean stop into death by signal.
            yield

    asgi = AsgiApp(app or App(config))
    uv = uvicorn.Config(
        asgi,
        host=config.host,
        port=config.port,
        loop="none",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level=config.log_level,
        timeout_graceful_shutdown=5,
    )
    server = _Server(uv)

    def stop() -> None:
        server.should_exit = True
        # held long polls would keep uvicorn waiting (timeout_graceful_shutdown)
        asgi.app.agent_channel.release_all()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop)
        await server.serve()
        if not server.started:
            raise SystemExit(1)

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
