"""Running the Debian-packaged ansible tools on the repository's ansible/ tree."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.helpers import require_apt
from tests.parallel import lock

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = ROOT / "ansible"


def ansible_env(tmp_path: Path) -> dict[str, str]:
    """Environment for ansible commands: the repo's ansible.cfg, no colours, no CLASSBOX_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLASSBOX_", "ANSIBLE_"))}
    env.update({
        "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PY_COLORS": "0",
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    })
    return env


def ansible_playbook(tmp_path: Path, *args: str, timeout: float = 900, json_output: bool = False,
                     env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ansible-playbook from ansible/ (installed from Debian when missing)."""
    command = require_apt("ansible-playbook", "ansible")
    full_env = ansible_env(tmp_path)
    if json_output:
        full_env["ANSIBLE_STDOUT_CALLBACK"] = "json"
    full_env.update(env or {})
    return subprocess.run([command, *args], cwd=ANSIBLE_DIR, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


LINT_VENV = Path("/var/cache/classbox-tests/ansible-lint-venv")


def newest_ansible_lint() -> str:
    """ansible-lint upgraded to PyPI's newest release in a cached venv (built when absent)."""
    python = LINT_VENV / "bin" / "python"
    with lock("ansible-lint-venv"):  # two workers never build or upgrade it at once
        if not python.exists():
            LINT_VENV.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["python3", "-m", "venv", "--clear", str(LINT_VENV)], check=True)
        done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                               "--upgrade", "ansible-lint"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return str(LINT_VENV / "bin" / "ansible-lint")


def lint_env(tmp_path: Path, lint: str) -> dict[str, str]:
    """ansible_env plus the collections of Debian's ansible package (requirements.yml's, offline)."""
    require_apt("ansible-playbook", "ansible")
    env = ansible_env(tmp_path)
    env["ANSIBLE_COLLECTIONS_PATH"] = "/usr/lib/python3/dist-packages"
    env["PATH"] = f"{Path(lint).parent}:{env['PATH']}"
    return env
