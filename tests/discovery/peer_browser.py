"""Run inside the peer namespace: browse a service type and print what is seen as JSON lines.

Prints {"event": "added"|"updated"|"removed", name, addresses, port, txt, server} for browser
events, and {"event": "goodbye", "name", "type"} for every record received with TTL 0
(read from a separate raw multicast socket, so nothing is hidden by the browser's cache).
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time

from zeroconf import DNSIncoming, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf


_EMIT = threading.Lock()


def emit(obj: dict) -> None:
    with _EMIT:  # one whole line at a time: events come from several threads
        print(json.dumps(obj), flush=True)


def raw_listener(local_ip: str) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("", 5353))
    mreq = struct.pack("4s4s", socket.inet_aton("224.0.0.251"), socket.inet_aton(local_ip))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    while True:
        data, (src, _port) = sock.recvfrom(9000)
        msg = DNSIncoming(data)
        if not msg.is_response():
            continue
        for record in msg.answers():
            if record.ttl == 0:
                extra = {"address": socket.inet_ntop(socket.AF_INET6 if record.type == 28 else socket.AF_INET, record.address)} \
                    if record.type in (1, 28) else {}
                emit({"event": "goodbye", "name": record.name, "type": record.type, "from": src, **extra})


def main() -> None:
    local_ip, service_type = sys.argv[1], sys.argv[2]
    threading.Thread(target=raw_listener, args=(local_ip,), daemon=True).start()
    zc = Zeroconf(interfaces=[local_ip])

    def describe(zeroconf, service_type, name, event):
        info = ServiceInfo(service_type, name)
        if info.load_from_cache(zeroconf) or info.request(zeroconf, 3000):
            emit({"event": event, "name": name, "addresses": info.parsed_addresses(), "port": info.port,
                  "server": info.server, "txt": {k.decode(): (v or b"").decode() for k, v in info.properties.items()}})

    def on_change(zeroconf, service_type, name, state_change):
        event = {ServiceStateChange.Added: "added", ServiceStateChange.Updated: "updated",
                 ServiceStateChange.Removed: "removed"}[state_change]
        if state_change is ServiceStateChange.Removed:
            emit({"event": event, "name": name})
            return
        # Asking for the service's records can wait 3 s (a box that just left answers nothing): done
        # beside the browser's thread, so a goodbye's "updated" never holds back the "removed" after it.
        threading.Thread(target=describe, args=(zeroconf, service_type, name, event), daemon=True).start()

    ServiceBrowser(zc, service_type, handlers=[on_change])
    emit({"event": "ready"})
    try:
        while True:
            time.sleep(3600)
    finally:
        zc.close()


if __name__ == "__main__":
    main()
