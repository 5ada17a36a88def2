"""A wsgidav server for the tests, with a middleware that injects faults read from a JSON file.

Usage: dav_server.py ROOT PORT USER PASSWORD FAULTS_JSON. Each fault applies to the next request
whose method matches ("method", default PUT): {"status": 507} answers that status (after
reading the body), {"hang": S} sleeps S seconds before serving it normally, then counts it as
served in FAULTS_JSON.served.
"""

import json
import os
import sys
import threading
import time

from cheroot import wsgi
from wsgidav.wsgidav_app import WsgiDAVApp

ROOT, PORT, USER, PASSWORD, FAULTS = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
LOCK = threading.Lock()


def next_fault(method):
    with LOCK:
        try:
            with open(FAULTS) as handle:
                faults = json.load(handle)
        except (OSError, ValueError):
            return None
        for index, fault in enumerate(faults):
            if fault.get("method", "PUT") == method:
                faults.pop(index)
                tmp = FAULTS + ".tmp"
                with open(tmp, "w") as handle:
                    json.dump(faults, handle)
                os.replace(tmp, FAULTS)
                return fault
    return None


def faulty(app):
    def middleware(environ, start_response):
        fault = next_fault(environ["REQUEST_METHOD"])
        if fault and "status" in fault:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            if length:
                environ["wsgi.input"].read(length)
            start_response(f"{fault['status']} Fault", [("Content-Type", "text/plain"),
                                                         ("Content-Length", "5")])
            return [b"fault"]
        if fault and "hang" in fault:
            time.sleep(fault["hang"])
            result = app(environ, start_response)
            hang_served()
            return result
        return app(environ, start_response)
    return middleware


def hang_served():
    """Count, in FAULTS.served, the hung requests that have been served (tests poll it)."""
    with LOCK:
        path = FAULTS + ".served"
        count = int(open(path).read()) if os.path.exists(path) else 0
        with open(path + ".tmp", "w") as handle:
            handle.write(str(count + 1))
        os.replace(path + ".tmp", path)


config = {
    "host": "127.0.0.1", "port": PORT, "provider_mapping": {"/dav": ROOT},
    "simple_dc": {"user_mapping": {"*": {USER: {"password": PASSWORD}}}},
    "http_authenticator": {"domain_controller": None, "accept_basic": True, "accept_digest": False,
                           "default_to_digest": False},
    "verbose": 1, "logging": {"enable_loggers": []}, "property_manager": True, "lock_storage": True,
}
server = wsgi.Server(("127.0.0.1", PORT), faulty(WsgiDAVApp(config)), numthreads=8)
try:
    server.start()
except KeyboardInterrupt:
    server.stop()
