"""Network namespaces as separate hosts: each has a veth pair to the root namespace with its
own /30, and in the root namespace a TCP forwarder bound on the veth's address passes its
connections to a server listening on 127.0.0.1 only (PostgreSQL, the S3 server) — so the
machine's server configuration is left as it is."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import threading
import uuid
from dataclasses import dataclass, field


def ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


class Forwarder:
    """Accepts on (host, 0) and pipes each connection to ``target``; ``peers``: the client
    addresses it saw."""

    def __init__(self, host: str, target: tuple[str, int]):
        self.target, self.peers = target, []
        self.sock = socket.create_server((host, 0))
        self.port = self.sock.getsockname()[1]
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, peer = self.sock.accept()
            except OSError:
                return
            self.peers.append(peer[0])
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()
        for s in self._open:
            s.close()


@dataclass
class Host:
    ns: str
    host_ip: str  # the root namespace's end of the veth
    ns_ip: str  # the namespace's own address
    forwarders: dict[str, Forwarder] = field(default_factory=dict)

    @property
    def prefix(self) -> tuple[str, ...]:
        return ("ip", "netns", "exec", self.ns)

    def forward(self, name: str, target: tuple[str, int]) -> str:
        """host:port in this namespace that reaches ``target`` of the root namespace."""
        fwd = self.forwarders[name] = Forwarder(self.host_ip, target)
        return f"{self.host_ip}:{fwd.port}"


class Namespaces:
    """``n`` namespaces with unique names per run; ``cannot`` says why none could be made."""

    def __init__(self, n: int):
        self.tag = uuid.uuid4().hex[:6]
        self.hosts: list[Host] = []
        self.cannot: str | None = None
        if shutil.which("ip") is None:
            self.cannot = "the `ip` command (iproute2) is not installed"
            return
        net = f"10.{random.randint(64, 250)}.{random.randint(0, 255)}"
        for i in range(n):
            ns, vh, vn = f"nfdp{self.tag}{i}", f"vh{self.tag}{i}", f"vn{self.tag}{i}"
            host_ip, ns_ip = f"{net}.{4 * i + 1}", f"{net}.{4 * i + 2}"
            out = ip("netns", "add", ns)
            if out.returncode != 0:
                self.cannot = f"`ip netns add` failed (needs root or CAP_NET_ADMIN): {out.stderr.strip()}"
                return
            self.hosts.append(Host(ns, host_ip, ns_ip))
            for args in (("link", "add", vh, "type", "veth", "peer", "name", vn), ("link", "set", vn, "netns", ns),
                         ("addr", "add", f"{host_ip}/30", "dev", vh), ("link", "set", vh, "up"),
                         ("-n", ns, "addr", "add", f"{ns_ip}/30", "dev", vn), ("-n", ns, "link", "set", vn, "up"),
                         ("-n", ns, "link", "set", "lo", "up")):
                out = ip(*args)
                if out.returncode != 0:
                    self.cannot = f"`ip {' '.join(args)}` failed: {out.stderr.strip()}"
                    return

    def close(self) -> None:
        for h in self.hosts:
            for fwd in h.forwarders.values():
                fwd.close()
            ip("netns", "del", h.ns)  # takes its end of the veth, and so the pair, with it
        for i in range(len(self.hosts)):
            if ip("link", "show", f"vh{self.tag}{i}").returncode == 0:
                ip("link", "del", f"vh{self.tag}{i}")


def namespace_of(pid: int) -> str:
    return subprocess.run(["ip", "netns", "identify", str(pid)], capture_output=True, text=True,
                          timeout=10).stdout.strip()
