"""The outside world the sampler reads, injected so tests can feed fixtures and faults."""

from __future__ import annotations

import glob as _glob
import os
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import psutil

RUN_TIMEOUT_S = 3.0


def read_text(path: str) -> str:
    """The text of a small file (sysfs, procfs)."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def run(argv: list[str]) -> str:
    """The stdout of a short command; raises on failure or timeout."""
    result = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=True)
    return result.stdout


@dataclass
class Readers:
    """Everything the sampler reads: psutil, files, commands and the clocks."""

    psutil: Any = psutil
    read_text: Callable[[str], str] = read_text
    exists: Callable[[str], bool] = os.path.exists
    glob: Callable[[str], list[str]] = field(default=_glob.glob)
    run: Callable[[list[str]], str] = run
    wall: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
