"""Test helpers: a real S3 server (moto) on 127.0.0.1 and a TCP fault proxy in front of it.

``start_moto()`` starts moto's ``ThreadedMotoServer`` on a free port and returns an
:class:`S3Server` (endpoint, credentials, ``stop()``) — wrap it in a session fixture.

:class:`FaultProxy` sits between the client and the server and, on request:
  * ``reset_next(n, after=k)``: reset (TCP RST) the next n requests (after k pass),
  * ``fail_next(n, slowdown=True, after=k)``: answer the next n requests with HTTP 503 — an S3
    ``SlowDown`` XML error, or a plain-text 503 as a load balancer would,
  * ``deny_next(n)``: answer 403 AccessDenied (not worth retrying),
  * ``go_down(seconds)``: refuse connections for a while (``None``: stay down until
    ``come_up()``), also cutting the connections in flight,
  * ``throttle(bytes_per_second)``: slow the client → server direction (uploads).
Every request is forced onto its own connection (``Connection: close`` is added to the
request head), so "the next n requests" and "the next n connections" are the same.
Counters: ``requests`` (seen), ``forwarded``, ``injected`` (faults by kind),
``bytes_up`` (client → server bytes forwarded); ``heads``: every request's head (bytes), in
order, so a test can tell which S3 calls were made (e.g. that none was a copy).
"""

from __future__ import annotations

import os
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass
from typing import Self

ACCESS_KEY = "nfdp-test-access"
SECRET_KEY = "nfdp-test-secret-Zq8vX2mK"  # tests assert this never appears in output
REGION = "us-east-1"


@dataclass
class S3Server:
    host: str
    port: int
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION
    _server: object = None

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def start_moto() -> S3Server:
    """Start moto's S3 server (in this process, its own thread) on a free 127.0.0.1 port."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    _wait_listening(host, port)
    return S3Server(host=host, port=port, _server=server)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dead_endpoint() -> str:
    """host:port where nothing listens (connections are refused)."""
    return f"127.0.0.1:{free_port()}"


def _wait_listening(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


SLOWDOWN_BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
                 b"<Message>Please reduce your request rate.</Message>"
                 b"<RequestId>FAULTPROXY</RequestId></Error>")
PLAIN_503_BODY = b"503 Service Unavailable\n"
DENIED_BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
               b"<Message>Access Denied.</Message><RequestId>FAULTPROXY</RequestId></Error>")


def _rst_close(sock: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0) rather than an orderly FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def _cut(sock: socket.socket) -> None:
    """Cut a connection another thread may be blocked on: shutdown() wakes its recv()
    (a bare close() from here would not), then its owner closes it."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _read_head(sock: socket.socket, limit: int = 256 * 1024) -> tuple[bytes, bytes]:
    """(request head including the blank line, bytes of the body already received)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b"", b""
        data += chunk
        if len(data) > limit:
            raise ValueError("request head too large")
    end = data.index(b"\r\n\r\n") + 4
    return data[:end], data[end:]


def _with_connection_close(head: bytes) -> bytes:
    lines = head[:-4].split(b"\r\n")
    kept = [line for line in lines[1:] if not line.lower().startswith((b"connection:", b"keep-alive:"))]
    return b"\r\n".join([lines[0], *kept, b"Connection: close"]) + b"\r\n\r\n"


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return int(value.strip())
            except ValueError:
                return 0
    return 0


class FaultProxy:
    """A threaded TCP proxy from 127.0.0.1:<port> to ``target`` that injects faults."""

    def __init__(self, target_host: str, target_port: int, *, port: int = 0):
        self.target = (target_host, target_port)
        self._lock = threading.Lock()
        self._faults: list[str | None] = []  # queue: None (pass) / "reset" / "slowdown" / "503"
        self._matching: list[list] = []  # [request-line prefix, fault, times left]
        self._down_until: float | None = None  # monotonic time; inf = stays down
        self._rate: float | None = None
        self._active: set[socket.socket] = set()
        self._stopping = False
        self.requests = 0
        self.forwarded = 0
        self.bytes_up = 0
        self.heads: list[bytes] = []
        self.injected: dict[str, int] = {"reset": 0, "slowdown": 0, "503": 0, "denied": 0}
        self._listener = self._listen(port)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name="fault-proxy", daemon=True)
        self._thread.start()

    # -- control ------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def reset_next(self, n: int, *, after: int = 0) -> None:
        """Reset the next ``n`` requests (after letting ``after`` more through)."""
        with self._lock:
            self._faults.extend([None] * after + ["reset"] * n)

    def fail_next(self, n: int, *, slowdown: bool = True, after: int = 0) -> None:
        """Answer 503 to the next ``n`` requests (after letting ``after`` more through)."""
        with self._lock:
            self._faults.extend([None] * after + ["slowdown" if slowdown else "503"] * n)

    def deny_next(self, n: int, *, after: int = 0) -> None:
        """Answer 403 AccessDenied (a refusal no retry changes) to the next ``n`` requests."""
        with self._lock:
            self._faults.extend([None] * after + ["denied"] * n)

    def fail_matching(self, prefix: bytes, n: int, fault: str = "503") -> None:
        """Give ``fault`` to the next ``n`` requests whose request line starts with ``prefix``
        (e.g. ``b"DELETE "``), whatever comes between them."""
        with self._lock:
            self._matching.append([prefix, fault, n])

    def go_down(self, seconds: float | None = None) -> None:
        """Refuse connections for ``seconds`` (None: until come_up()); cut live connections."""
        with self._lock:
            self._down_until = float("inf") if seconds is None else time.monotonic() + seconds
            listener, self._listener = self._listener, None
            active = list(self._active)
        if listener is not None:
            listener.close()
        for sock in active:
            _cut(sock)

    def come_up(self) -> None:
        with self._lock:
            self._down_until = None

    def throttle(self, bytes_per_second: float | None) -> None:
        self._rate = bytes_per_second

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._matching.clear()
            self._down_until = None
            self._rate = None

    def close(self) -> None:
        self._stopping = True
        self.go_down(None)
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- machinery ----------------------------------------------------------------------
    def _listen(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
        sock.settimeout(0.05)
        return sock

    def _accept_loop(self) -> None:
        while not self._stopping:
            with self._lock:
                listener = self._listener
                down_until = self._down_until
            if listener is None:
                if self._stopping:
                    return
                if down_until is not None and time.monotonic() < down_until:
                    time.sleep(0.02)
                    continue
                try:  # back up on the same port
                    new = self._listen(self.port)
                except OSError:
                    time.sleep(0.05)
                    continue
                with self._lock:
                    self._listener, self._down_until = new, None
                continue
            try:
                client, _ = listener.accept()
            except (TimeoutError, BlockingIOError):
                continue
            except OSError:  # listener closed by go_down()
                continue
            client.settimeout(None)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _next_fault(self, head: bytes) -> str | None:
        with self._lock:
            self.requests += 1
            self.heads.append(head)
            for rule in self._matching:
                if rule[2] > 0 and head.startswith(rule[0]):
                    rule[2] -= 1
                    return rule[1]
            return self._faults.pop(0) if self._faults else None

    def _serve(self, client: socket.socket) -> None:
        with self._lock:
            self._active.add(client)
        upstream = None
        try:
            try:
                head, early = _read_head(client)
            except (OSError, ValueError):
                return
            if not head:
                return
            fault = self._next_fault(head)
            if fault == "reset":
                self.injected["reset"] += 1
                _rst_close(client)
                return
            if fault in ("slowdown", "503", "denied"):
                self.injected[fault] += 1
                self._drain(client, _content_length(head) - len(early))
                status, body, ctype = {
                    "slowdown": (b"503 Service Unavailable", SLOWDOWN_BODY, b"application/xml"),
                    "503": (b"503 Service Unavailable", PLAIN_503_BODY, b"text/plain"),
                    "denied": (b"403 Forbidden", DENIED_BODY, b"application/xml"),
                }[fault]
                client.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype +
                               b"\r\nContent-Length: " + str(len(body)).encode() +
                               b"\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + body)
                client.shutdown(socket.SHUT_RDWR)
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                _rst_close(client)
                return
            upstream.settimeout(None)
            with self._lock:
                self._active.add(upstream)
                self.forwarded += 1
            upstream.sendall(_with_connection_close(head))
            if early:
                self._send_up(upstream, early)
            back = threading.Thread(target=self._pipe_down, args=(upstream, client), daemon=True)
            back.start()
            try:
                while True:
                    chunk = client.recv(256 * 1024)
                    if not chunk:
                        break
                    self._send_up(upstream, chunk)
            except OSError:
                pass
            back.join()
        finally:
            with self._lock:
                self._active.discard(client)
                if upstream is not None:
                    self._active.discard(upstream)
            for sock in (client, upstream):
                if sock is not None:
                    try:
                        sock.close()
                    except OSError:
                        pass

    def _send_up(self, upstream: socket.socket, data: bytes) -> None:
        rate = self._rate
        if not rate:
            upstream.sendall(data)
            self.bytes_up += len(data)
            return
        step = max(1024, int(rate / 20))
        for i in range(0, len(data), step):
            piece = data[i:i + step]
            upstream.sendall(piece)
            self.bytes_up += len(piece)
            time.sleep(len(piece) / rate)

    def _pipe_down(self, upstream: socket.socket, client: socket.socket) -> None:
        try:
            while True:
                chunk = upstream.recv(256 * 1024)
                if not chunk:
                    break
                client.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _drain(self, client: socket.socket, n: int) -> None:
        while n > 0:
            chunk = client.recv(min(n, 256 * 1024))
            if not chunk:
                return
            n -= len(chunk)


if __name__ == "__main__":  # pragma: no cover - handy for poking by hand
    srv = start_moto()
    proxy = FaultProxy(srv.host, srv.port)
    print(f"moto on {srv.endpoint}, proxy on {proxy.endpoint}", file=sys.stderr)
    threading.Event().wait()
