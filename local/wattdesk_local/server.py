"""HTTP front of the local runtime: the template's API routes, web/ pages, and /_local/ tools."""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from wattdesk.observability import mask_pii
from wattdesk_local import openapi
from wattdesk_local.runtime import ClockError, LocalRuntime

log = logging.getLogger("wattdesk_local")


class MaskingFilter(logging.Filter):
    """The runtime's own lines (paths with query strings, errors) are masked like the handlers' logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = mask_pii(record.getMessage()), ()
        return True


def _json_default(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


class LocalTools:
    """The /_local/ endpoints: clock, outbox, executions, sign-in."""

    def __init__(self, runtime: LocalRuntime):
        self.runtime = runtime

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        parts = [unquote(part) for part in path.strip("/").split("/")[1:]]
        payload = json.loads(body or b"{}") if method == "POST" else {}
        if parts == ["clock"] and method == "GET":
            return 200, {"now": self.runtime.now().isoformat(), "ticking": self.runtime.clock.ticking}
        if parts == ["clock"] and method == "POST":
            return self._advance(payload)
        if parts == ["outbox"] and method == "GET":
            return 200, self.runtime.outbox(query.get("to", [None])[-1])
        if len(parts) == 4 and parts[0] == "outbox" and parts[2] == "attachments" and method == "GET":
            content = self.runtime.mail_attachment(parts[1], parts[3])
            return (200, content) if content is not None else (404, {"message": "no such attachment"})
        if parts == ["executions"] and method == "GET":
            return 200, [
                {
                    "name": execution["name"],
                    "state_machine": execution["stateMachine"],
                    "status": execution["status"],
                    "started": execution["startDate"],
                    "stopped": execution.get("stopDate"),
                    "arn": execution["executionArn"],
                    "history": f"/_local/executions/{quote(execution['executionArn'], safe='')}/history",
                }
                for execution in self.runtime.executions()
            ]
        if len(parts) == 3 and parts[0] == "executions" and parts[2] == "history" and method == "GET":
            return 200, self.runtime.history(parts[1])
        if parts == ["login"] and method == "POST":
            if not isinstance(payload.get("username"), str) or not payload["username"]:
                return 400, {"errors": [{"field": "username", "code": "required", "message": "A username is required."}]}
            groups = payload.get("groups", [])
            return 200, self.runtime.login(payload["username"], list(groups), payload.get("attributes") or {})
        if path in self.runtime.local_endpoints and method == "POST":
            function, fixed, body_key = self.runtime.local_endpoints[path]
            payload_text, errored, _ = self.runtime.invoke(function, {**fixed, body_key: json.loads(body or b"null")})
            self.runtime.wait_until_settled()
            return (500 if errored else 200), json.loads(payload_text)
        return 404, {"message": f"no local tool at {path}"}

    def _advance(self, payload: dict[str, Any]) -> tuple[int, Any]:
        try:
            if "to" in payload:
                fired = self.runtime.advance(to=datetime.fromisoformat(str(payload["to"]).replace("Z", "+00:00")))
            elif "advance_days" in payload or "advance_hours" in payload:
                days, hours = float(payload.get("advance_days", 0)), float(payload.get("advance_hours", 0))
                if days < 0 or hours < 0:
                    raise ClockError("the clock only moves forward")
                fired = self.runtime.advance(days=days, hours=hours)
            else:
                return 400, {"errors": [{"field": "advance_days", "code": "required", "message": "Give advance_days, advance_hours or to."}]}
        except (ClockError, ValueError) as exc:
            return 400, {"errors": [{"field": "to", "code": "clock", "message": str(exc)}]}
        return 200, {"now": self.runtime.now().isoformat(), "fired": [vars(item) for item in fired]}


def make_handler(runtime: LocalRuntime, web_root: Path) -> type[BaseHTTPRequestHandler]:
    tools = LocalTools(runtime)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "WattDeskLocal"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base class name
            return  # one line per request is written by _respond

        def _respond(self, status: int, body: Any, headers: dict[str, str] | None = None, started: float = 0.0) -> None:
            headers = dict(headers or {})
            if isinstance(body, (bytes, bytearray)):
                raw = bytes(body)
            else:
                raw = json.dumps(body, default=_json_default).encode("utf-8")
                headers.setdefault("Content-Type", "application/json")
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(raw)
            log.info("%s %s %d %.0f ms", self.command, self.path, status, (time.perf_counter() - started) * 1000)

        def _dispatch(self) -> None:
            started = time.perf_counter()
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                if split.path.startswith("/_local/"):
                    status, payload = tools.handle(self.command, split.path, parse_qs(split.query), body)
                    return self._respond(status, payload, started=started)
                document = openapi.document_response(runtime, self.command, split.path)
                if document is not None:  # the API's OpenAPI documents, from the handlers' resolvers
                    return self._respond(200, document, started=started)
                response = runtime.handle_api(self.command, self.path, dict(self.headers.items()), body, self.client_address[0])
                if response.status in (404, 405) and self.command in ("GET", "HEAD"):
                    static = self._static(split.path)
                    if static is not None:
                        return self._respond(200, static[1], {"Content-Type": static[0]}, started)
                return self._respond(response.status, response.body, response.headers, started)
            except json.JSONDecodeError:
                return self._respond(400, {"errors": [{"field": None, "code": "json", "message": "The body is not valid JSON."}]}, started=started)
            except Exception:  # the local server keeps serving; the trace goes to the log
                log.exception("error while serving %s %s", self.command, self.path)
                return self._respond(500, {"message": "local runtime error; see its log"}, started=started)

        def _static(self, path: str) -> tuple[str, bytes] | None:
            relative = path.lstrip("/") or "index.html"
            candidate = (web_root / relative).resolve()
            if candidate.is_dir():
                candidate = candidate / "index.html"
            if web_root.resolve() not in candidate.parents or not candidate.is_file():
                return None
            return mimetypes.guess_type(candidate.name)[0] or "application/octet-stream", candidate.read_bytes()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch

    return Handler


class ExecutionLog:
    """One log line per execution transition (state entered, status change), for the console."""

    def __init__(self, runtime: LocalRuntime):
        self.runtime = runtime
        self.seen: dict[str, int] = {}
        self.status: dict[str, str] = {}

    def poll(self) -> None:
        for execution in self.runtime.executions():
            arn, status = execution["executionArn"], execution["status"]
            if self.status.get(arn) == status and status != "RUNNING":
                continue
            events = self.runtime.history(arn)
            for event in events[self.seen.get(arn, 0):]:
                details = event.get("stateEnteredEventDetails")
                if details:
                    log.info("execution %s/%s entered %s", execution["stateMachine"], execution["name"], details["name"])
            self.seen[arn] = len(events)
            if self.status.get(arn) != status:
                log.info("execution %s/%s is %s", execution["stateMachine"], execution["name"], status)
                self.status[arn] = status


def serve(runtime: LocalRuntime, host: str, port: int, web_root: Path, save_every_s: float = 5.0) -> None:
    server = ThreadingHTTPServer((host, port), make_handler(runtime, web_root))
    server.daemon_threads = True
    stopping = threading.Event()
    execution_log = ExecutionLog(runtime)

    def background() -> None:
        last_save = time.monotonic()
        while not stopping.wait(0.5):
            try:
                execution_log.poll()
                if runtime.clock.ticking:
                    runtime.fire_due()
                if runtime.options.state_dir is not None and time.monotonic() - last_save >= save_every_s:
                    runtime.save_state()
                    last_save = time.monotonic()
            except Exception:  # keep the loop alive; the trace goes to the log
                log.exception("background task failed")

    worker = threading.Thread(target=background, name="wattdesk-local-background", daemon=True)
    worker.start()
    log.info("WattDesk local runtime on http://%s:%d (clock %s)", host, port, runtime.now().isoformat())
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        stopping.set()
        worker.join(timeout=5)
        server.server_close()
        execution_log.poll()  # transitions since the last poll are logged before the runtime stops
