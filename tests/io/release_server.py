"""A real HTTP server on 127.0.0.1 serving a copy of an IPD-IMGT/HLA release in the repository's layout.

``<root>/<branch>/wmda/hla_nom.txt`` ... as ``raw.githubusercontent.com/ANHIG/IMGTHLA/<branch>/...`` serves
them, so the download code runs unchanged against it (``base_url`` or ``ENGRAFT_IMGT_MIRROR``). The copy
is the test's own (files can be altered); every request path is recorded.
"""

from __future__ import annotations

import functools
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class ReleaseServer:
    base_url: str
    root: Path  # the served folder; the release is in root / branch
    requests: list[str] = field(default_factory=list)

    def release_dir(self, branch: str = "3580") -> Path:
        return self.root / branch


def copy_release(source: Path, target: Path) -> None:
    """Copy every file of ``source`` into ``target`` (writable copies, unlike the read-only originals)."""
    for path in source.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(path.read_bytes())


@contextmanager
def serve_release(source: Path, root: Path, branch: str = "3580") -> Iterator[ReleaseServer]:
    """Serve a copy of ``source`` as ``http://127.0.0.1:<port>/<branch>/...`` while the block runs."""
    copy_release(source, root / branch)
    server_state = ReleaseServer(base_url="", root=root)

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            server_state.requests.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    server_state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def closed_port_url() -> str:
    """A loopback URL where nothing listens (connection refused: what an unreachable server looks like)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    return f"http://127.0.0.1:{port}"
