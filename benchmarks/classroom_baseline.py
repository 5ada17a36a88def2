"""Baseline for benchmarks/classroom_push.py: a bare Flask-SocketIO app (join a room, emit to it).

Run under the same gunicorn worker class as classbox:
    gunicorn -k gevent -w 1 --pythonpath benchmarks classroom_baseline:app
"""

from flask import Flask, request
from flask_socketio import SocketIO, emit, join_room

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent")
NS = "/classroom"


@socketio.on("join", namespace=NS)
def join(data):
    join_room(data["code"])
    return {"ok": True, "pupil_id": request.sid}


@socketio.on("open_session", namespace=NS)
def open_session(data):
    join_room("teacher:" + data["title"])
    return {"ok": True, "code": data["title"]}


@socketio.on("push", namespace=NS)
def push(data):
    emit("activity", {"id": "x", **data}, to=data["code"])
    return {"ok": True, "activity": {"id": "x"}}


@socketio.on("submit", namespace=NS)
def submit(data):
    return {"ok": True, "submission_id": data["submission_id"]}
