"""A TCP relay in front of the box that notes the path of every HTTP request it carries: what
reached the server, as opposed to what the browser took from its cache."""

from __future__ import annotations

import re
import socket
import threading

REQUEST_LINE = re.compile(rb"(?:^|\r\n)(?:GET|HEAD|POST|PUT|DELETE|OPTIONS) (\S+) HTTP/1\.[01]\r\n")


class CountingRelay:
    """Listens on 127.0.0.1 (a free port) and relays every connection to `target_port`."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stopped = False

    def start(self) -> "CountingRelay":
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped = True
        self._server.close()

    def seen(self) -> list[str]:
        """The paths asked for so far (then forgotten)."""
        with self._lock:
            paths, self.paths = self.paths, []
        return paths

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, requests: bool) -> None:
        tail = b""
        try:
            while data := source.recv(65536):
                if requests:  # request lines may straddle two reads: keep a little of the last one
                    chunk = tail + data
                    with self._lock:
                        self.paths += [m.group(1).decode("latin-1") for m in REQUEST_LINE.finditer(chunk)]
                    tail = chunk[-2048:]
                    tail = tail[tail.rfind(b"\r\n") + 2:] if b"\r\n" in tail else tail
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            source.close()
