"""A TCP proxy on loopback that cuts a response mid-body: for the next ``cuts`` connections
whose request contains ``marker``, it forwards ``after`` bytes of the answer and then drops
both sides (what a flaky network does to a download)."""

from __future__ import annotations

import socket
import threading


class CutProxy:
    def __init__(self, upstream: tuple[str, int], *, marker: bytes, after: int, cuts: int = 1):
        self.upstream = upstream
        self.marker = marker
        self.after = after
        self.cuts = cuts
        self.cut_done = 0
        self._lock = threading.Lock()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _claim(self, data: bytes) -> bool:
        with self._lock:
            if self.marker in data and self.cut_done < self.cuts:
                self.cut_done += 1
                return True
        return False

    def _handle(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        state = {"cut": False, "sent": 0}  # every request on the connection is inspected (keep-alive)

        def upstream() -> None:
            try:
                while data := client.recv(65536):
                    if not state["cut"] and self._claim(data):
                        state["cut"], state["sent"] = True, 0
                    server.sendall(data)
            except OSError:
                pass

        threading.Thread(target=upstream, daemon=True).start()
        try:
            while True:
                data = server.recv(16384)
                if not data:
                    break
                if state["cut"] and state["sent"] + len(data) >= self.after:
                    client.sendall(data[: max(0, self.after - state["sent"])])
                    break
                client.sendall(data)
                state["sent"] += len(data)
        except OSError:
            pass
        finally:
            for s in (client, server):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self) -> None:
        self._stop = True
        self.sock.close()
