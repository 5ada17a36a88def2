"""Start ralph's LRS app (fs backend) under uvicorn, for the tests and the benchmark.

Run with ralph's venv python: ralph_launch.py HOST PORT [--gzip], with the same RALPH_*
environment as `ralph runserver -b fs`. Two things differ from `runserver`:
- ralph 5.1's fs backend writes with CREATE by default, so its second POST fails ("already
  exists and overwrite is not allowed"); we make the fs LRS append, as a real store would;
- no auto-reloader child process: one PID to stop or kill.
With --gzip, an ASGI middleware inflates `Content-Encoding: gzip` request bodies, as a front
proxy of an LRS may do.
"""

import gzip
import os
import sys

import uvicorn

os.environ.setdefault("RALPH_RUNSERVER_BACKEND", "fs")

from ralph.backends.data.base import BaseOperationType  # noqa: E402
from ralph.backends.lrs.fs import FSLRSBackend  # noqa: E402

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

from ralph.api import app as ralph_app  # noqa: E402


def inflating(app):
    async def wrapped(scope, receive, send):
        headers = dict(scope.get("headers") or [])
        if scope["type"] != "http" or headers.get(b"content-encoding") != b"gzip":
            return await app(scope, receive, send)
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        data = gzip.decompress(body)
        scope = dict(scope, headers=[(k, v) for k, v in scope["headers"]
                                     if k not in (b"content-encoding", b"content-length")]
                     + [(b"content-length", str(len(data)).encode())])
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()
        return await app(scope, replay, send)
    return wrapped


app = inflating(ralph_app) if "--gzip" in sys.argv else ralph_app
uvicorn.run(app, host=sys.argv[1], port=int(sys.argv[2]), log_level="warning", access_log=False)
