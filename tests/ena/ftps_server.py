"""A real FTPS server (pyftpdlib's TLS handler: explicit AUTH TLS, PROT P) on loopback, standing
in for ENA's Webin upload area, with a certificate from a throw-away CA made by trustme."""

from __future__ import annotations

import threading
from pathlib import Path

import trustme
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import TLS_FTPHandler
from pyftpdlib.servers import ThreadedFTPServer


class FtpsServer:
    def __init__(self, root: Path, user: str, password: str, certs: Path):
        root.mkdir(parents=True, exist_ok=True)
        certs.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.cafile = certs / "ca.pem"
        ca.cert_pem.write_to_path(str(self.cafile))
        chain = certs / "server.pem"
        cert.private_key_and_cert_chain_pem.write_to_path(str(chain))
        authorizer = DummyAuthorizer()
        authorizer.add_user(user, password, str(root), perm="elradfmwMT")

        class Handler(TLS_FTPHandler):
            pass

        Handler.authorizer = authorizer
        Handler.certfile = str(chain)
        Handler.tls_control_required = True
        Handler.tls_data_required = True
        Handler.passive_ports = None
        self.root = root
        self.server = ThreadedFTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.address[1]
        self.address = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"timeout": 0.2}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.close_all()
        self.thread.join(5)
