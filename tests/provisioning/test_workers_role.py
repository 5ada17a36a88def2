"""What the roles tell classbox about its web workers, rendered by the real ansible template module:
one per core when the box has its Redis, one without it; nginx's Socket.IO slots are the app's."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from classbox.config import DEFAULT_RUNTIME_DIR, load_config
from classbox.config_values import DEFAULT_MESSAGE_QUEUE
from classbox.runtime import sticky
from tests.provisioning.ansible_support import ANSIBLE_DIR, ansible_playbook

ROLES = ANSIBLE_DIR / "roles"
CASES = {"redis": {"classbox_redis_enabled": True}, "no-redis": {"classbox_redis_enabled": False},
         "redis-no-nginx": {"classbox_redis_enabled": True, "classbox_nginx_enabled": False}}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("workers-role")
    defaults = {}
    for part in ("classbox/defaults", "classbox/vars", "classbox_nginx/defaults"):
        defaults.update(yaml.safe_load((ROLES / part / "main.yml").read_text()))
    hosts = {case: {**defaults, "ansible_connection": "local", "out": str(tmp / case),
                    "classbox_box_name": "École", "classbox_school_uai": "0630009Z", **override}
             for case, override in CASES.items()}
    (tmp / "hosts.json").write_text(json.dumps({"classbox": {"hosts": hosts}}))
    templates = {"classbox.toml": "classbox/templates/classbox.toml.j2",
                 "nginx-site": "classbox_nginx/templates/classbox.conf.j2"}
    tasks = "".join(f"    - name: {name}\n      ansible.builtin.template:\n        src: {ROLES / src}\n"
                    f"        dest: \"{{{{ out }}}}/{name}\"\n        mode: \"0644\"\n" for name, src in templates.items())
    (tmp / "render.yml").write_text(
        "- name: Render\n  hosts: classbox\n  gather_facts: false\n  tasks:\n"
        "    - name: Folder\n      ansible.builtin.file:\n        path: \"{{ out }}\"\n        state: directory\n"
        "        mode: \"0755\"\n" + tasks)
    result = ansible_playbook(tmp, "-i", str(tmp / "hosts.json"), str(tmp / "render.yml"))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return tmp


@pytest.fixture
def box_redis(tmp_path, monkeypatch):
    """The box's Redis socket, as the classbox_redis role leaves it (usable by this user)."""
    from classbox import config_values

    (tmp_path / "redis-server.sock").touch()
    monkeypatch.setattr(config_values, "DEFAULT_REDIS_SOCKET", str(tmp_path / "redis-server.sock"))
    monkeypatch.setattr(config_values, "auto_workers", lambda: 4)


@pytest.mark.peer
def test_with_its_redis_the_box_runs_one_worker_per_core(rendered, box_redis):
    config = load_config(path=rendered / "redis" / "classbox.toml", env={})
    assert (config["web"]["workers"], config["web"]["message_queue"]) == (4, DEFAULT_MESSAGE_QUEUE)


@pytest.mark.peer
def test_without_redis_the_box_runs_one_worker(rendered):
    config = load_config(path=rendered / "no-redis" / "classbox.toml", env={})
    assert (config["web"]["workers"], config["web"]["message_queue"]) == (1, "")


@pytest.mark.peer
def test_with_redis_but_without_nginx_the_box_runs_one_worker(rendered, box_redis):
    """No slot sockets without nginx: one worker keeps each device's Socket.IO polling together."""
    config = load_config(path=rendered / "redis-no-nginx" / "classbox.toml", env={})
    assert config["web"]["workers"] == 1


@pytest.mark.peer
def test_nginx_hashes_socket_io_over_the_apps_slot_sockets(rendered):
    site = (rendered / "redis" / "nginx-site").read_text()
    upstream = re.search(r"upstream classbox_socketio \{(.*?)\}", site, re.S).group(1)
    assert "hash $remote_addr consistent;" in upstream
    assert re.findall(r"server unix:(\S+);", upstream) == [
        str(sticky.slot_socket(DEFAULT_RUNTIME_DIR, slot)) for slot in range(sticky.SLOTS)]
    assert "proxy_pass http://classbox_socketio;" in site.split("location /socket.io")[1].split("}")[0]
