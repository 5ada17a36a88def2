"""sd_notify: tell systemd (Type=notify) that a service is ready or stopping."""

from __future__ import annotations

import os
import socket


def sd_notify(message: str) -> bool:
    """Send a notification to $NOTIFY_SOCKET; False when not run by systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(address)
            sock.sendall(message.encode())
        except OSError:
            return False
    return True
