"""A local MNIST mirror for tests: an http.server on 127.0.0.1, in a thread, that misbehaves on request."""

import re
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = {
    "500": "answer HTTP 500",
    "503": "answer HTTP 503",
    "reset": "send half the body, then reset the connection",
    "cut": "send half the body, then close the connection",
    "slow": "wait `delay` seconds before answering",
    "stall": "send half the body, then wait `delay` seconds and close the connection",
}


class Mirror:
    """Serves `files` (name: bytes) at `url`, with HTTP ranges unless `ranges` is False.

    `fail(name, fault, times)` makes the next `times` requests of a file (all of them when times is
    None) misbehave; `requests` lists each request as (name, its Range header or None).
    """

    def __init__(self, files, ranges=True, delay=2.0):
        self.files, self.ranges, self.delay = dict(files), ranges, delay
        self.faults, self.requests = {}, []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.block_on_close = False
        self.server.handle_error = lambda request, address: None  # A reset we caused is no news.
        self.server.mirror = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fail(self, name, fault, times=1):
        assert fault in FAULTS, fault
        self.faults.setdefault(name, []).extend([fault] * times if times else [fault] * 1_000_000)

    def requested(self, name):
        return [span for requested, span in self.requests if requested == name]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        mirror = self.server.mirror
        name, span = self.path.lstrip("/"), self.headers.get("Range")
        mirror.requests.append((name, span))
        queued = mirror.faults.get(name)
        fault = queued.pop(0) if queued else None
        body = mirror.files.get(name)
        if fault == "slow":
            time.sleep(mirror.delay)
        if body is None:
            return self.send_error(404)
        if fault in ("500", "503"):
            return self.send_error(int(fault))
        start = int(re.match(r"bytes=(\d+)-", span).group(1)) if span and mirror.ranges else 0
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        part = body[start:]
        if fault in ("reset", "cut", "stall"):
            self.wfile.write(part[: len(part) // 2])
            self.wfile.flush()
            if fault == "stall":
                time.sleep(mirror.delay)
            if fault == "reset":  # Linger 0: close() sends RST instead of FIN.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        self.wfile.write(part)


def closed_port():
    """A URL on 127.0.0.1 where nothing listens: a mirror that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"
