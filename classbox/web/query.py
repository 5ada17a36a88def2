"""Numeric query parameters: plain ASCII integers clamped to a range, or a clear 400."""

from __future__ import annotations

import re

from flask import abort, request

INTEGER = re.compile(r"[+-]?[0-9]{1,40}")


def clamp_int(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    """`raw` as an integer within [low, high]; `default` when absent; 400 when not an integer."""
    if raw is None:
        return default
    if not INTEGER.fullmatch(raw):
        abort(400, f"{name} must be an integer")
    return max(low, min(int(raw), high))


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """The query parameter `name` as an integer clamped to [low, high] (400 when not an integer)."""
    return clamp_int(request.args.get(name), name, default, low, high)
