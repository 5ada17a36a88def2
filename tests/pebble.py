"""Debian's pebble (an ACME CA) and pebble-challtestsrv (its DNS) on free loopback ports, and
lego (Debian's) issuing a certificate from them by DNS-01."""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import subprocess
from pathlib import Path
from typing import Iterator

import httpx

from tests.certificates import key_pem, make_authority, make_leaf, pem
from tests.helpers import free_port, require_apt, stop_process_group, wait_until

# lego's `exec` DNS provider: the département's real one is ovh, gandiv5, rfc2136...; here the
# TXT record goes to pebble-challtestsrv through its management API.
HOOK = """#!/bin/sh
case "$1" in
  present) exec curl -sf -d "{\\"host\\":\\"$2\\",\\"value\\":\\"$3\\"}" http://127.0.0.1:{port}/set-txt ;;
  cleanup) exec curl -sf -d "{\\"host\\":\\"$2\\"}" http://127.0.0.1:{port}/clear-txt ;;
esac
"""


@contextlib.contextmanager
def running_pebble(tmp: Path) -> Iterator[dict]:
    """pebble and pebble-challtestsrv, stopped by PID afterwards; yields what lego needs and
    pebble's root ("root": the PEM file a device must trust)."""
    for package in ("pebble", "lego", "curl"):
        require_apt(package)
    listener_ca = make_authority("pebble listener test CA")
    cert, key = make_leaf(listener_ca, ["localhost"])
    (tmp / "listener-ca.pem").write_bytes(pem(listener_ca.cert))
    (tmp / "cert.pem").write_bytes(pem(cert))
    (tmp / "key.pem").write_bytes(key_pem(key))
    ports = {name: free_port() for name in ("acme", "management", "dns", "dns_management")}
    (tmp / "config.json").write_text(json.dumps({"pebble": {
        "listenAddress": f"127.0.0.1:{ports['acme']}", "managementListenAddress": f"127.0.0.1:{ports['management']}",
        "certificate": str(tmp / "cert.pem"), "privateKey": str(tmp / "key.pem"),
        "httpPort": free_port(), "tlsPort": free_port(), "ocspResponderURL": "",
        "externalAccountBindingRequired": False}}))
    hook = tmp / "dns-hook"
    hook.write_text(HOOK.replace("{port}", str(ports["dns_management"])))
    hook.chmod(0o755)
    dns = subprocess.Popen(["pebble-challtestsrv", "-dns01", f"127.0.0.1:{ports['dns']}", "-http01", "", "-https01", "",
                            "-tlsalpn01", "", "-management", f"127.0.0.1:{ports['dns_management']}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    acme = subprocess.Popen(["pebble", "-config", str(tmp / "config.json"), "-dnsserver", f"127.0.0.1:{ports['dns']}"],
                            env={**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    trust = ssl.create_default_context(cafile=str(tmp / "listener-ca.pem"))
    try:
        def ready() -> bool:
            assert acme.poll() is None and dns.poll() is None, "pebble or challtestsrv exited"
            try:
                return httpx.get(f"https://localhost:{ports['acme']}/dir", verify=trust).is_success
            except httpx.TransportError:
                return False
        wait_until(ready, what="pebble's directory")
        root = httpx.get(f"https://localhost:{ports['management']}/roots/0", verify=trust)
        (tmp / "pebble-root.pem").write_bytes(root.content)
        yield {"tmp": tmp, "ports": ports, "hook": hook, "root": tmp / "pebble-root.pem",
               "server": f"https://localhost:{ports['acme']}/dir", "server_ca": tmp / "listener-ca.pem",
               "dns_options": ["--dns.disable-cp", "--dns.resolvers", f"127.0.0.1:{ports['dns']}"]}
    finally:
        stop_process_group(acme)
        stop_process_group(dns)


def issue(pebble: dict, name: str, folder: Path) -> tuple[Path, Path]:
    """lego run against pebble by DNS-01: (the chain, the key) for name."""
    done = subprocess.run(["lego", "--server", pebble["server"], "--email", "technicien@ecoles.example.fr",
                           "--accept-tos", "--path", str(folder), "--dns", "exec", *pebble["dns_options"],
                           "--domains", name, "run"],
                          env={**os.environ, "LEGO_CA_CERTIFICATES": str(pebble["server_ca"]),
                               "EXEC_PATH": str(pebble["hook"])},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return folder / "certificates" / f"{name}.crt", folder / "certificates" / f"{name}.key"
