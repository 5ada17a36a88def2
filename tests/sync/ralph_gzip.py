"""ralph's LRS app behind an ASGI middleware that inflates gzip request bodies (like a front proxy).

Run with ralph's venv python: ralph_gzip.py HOST PORT (same RALPH_* environment as runserver).
"""

import gzip
import sys

import uvicorn
from ralph.api import app as ralph_app


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


uvicorn.run(inflating(ralph_app), host=sys.argv[1], port=int(sys.argv[2]), log_level="warning")
