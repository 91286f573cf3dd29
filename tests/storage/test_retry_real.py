"""Answers no retry can heal, from real servers: TLS that cannot be set up (plain HTTP
behind an https endpoint, a self-signed certificate) and credential / clock refusals
(ExpiredToken, RequestTimeTooSkewed). Each must fail at the first try, with a clear
message, no traceback and no secret."""

from __future__ import annotations

import http.server
import logging
import shutil
import ssl
import subprocess
import threading
import time

import pytest

from nfdp_ingest.errors import EXIT_INFRA, InfrastructureError

KEY = "nfdp-raw/NFDP-PRJ-x/NFDP-SAM-x/NFDP-RUN-x/a.fastq.gz"


def retry_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "nfdp_ingest.storage" and r.levelno == logging.WARNING]


class _Answer(http.server.BaseHTTPRequestHandler):
    """Answers every request with the server's canned (status, S3 error code)."""

    def _answer(self):
        status, code = self.server.answer
        self.server.seen.append(f"{self.command} {self.path}")
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                f"<Message>{code} from the test server</Message><RequestId>T</RequestId>"
                "</Error>").encode()
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _answer

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def answering_server():
    """answering_server(status, code, tls_context=None) → (server, "host:port")."""
    servers = []

    def start(status: int, code: str, tls_context: ssl.SSLContext | None = None):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
        server.answer, server.seen = (status, code), []
        if tls_context is not None:
            server.socket = tls_context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server, f"127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _fails_fast(storage, caplog, call) -> InfrastructureError:
    caplog.set_level(logging.WARNING, logger="nfdp_ingest.storage")
    started = time.monotonic()
    with pytest.raises(InfrastructureError) as info:
        call()
    assert time.monotonic() - started < 1.0  # 6 tries with backoff would take > 3 s
    assert retry_warnings(caplog) == []
    err = info.value
    assert err.exit_code == EXIT_INFRA
    assert storage.settings.secret_key not in err.message
    assert "Traceback" not in err.message
    return err


def test_https_to_a_plain_http_server_is_not_retried(make_storage, s3, caplog):
    storage = make_storage(f"https://{s3.endpoint}")
    err = _fails_fast(storage, caplog, storage.ensure_buckets)
    assert "TLS failed" in err.message and "not retried" in err.message
    assert f"https://{s3.endpoint}" in err.message and "NFDP_MINIO_SECURE" in err.message


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_self_signed_certificate_is_not_retried(make_storage, answering_server, tmp_path, caplog):
    cert, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(keyfile), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, keyfile)
    server, endpoint = answering_server(200, "None", tls_context=context)
    storage = make_storage(f"https://{endpoint}")
    err = _fails_fast(storage, caplog, storage.ensure_buckets)
    assert "certificate verify failed" in err.message and "SSL_CERT_FILE" in err.message
    assert server.seen == []  # no request got through the handshake


@pytest.mark.parametrize(("status", "code"), [(400, "ExpiredToken"), (403, "RequestTimeTooSkewed"),
                                              (403, "InvalidAccessKeyId")])
def test_credential_and_clock_answers_are_not_retried(make_storage, answering_server, caplog,
                                                      status, code):
    server, endpoint = answering_server(status, code)
    storage = make_storage(endpoint, region="us-east-1")  # known region: no location lookup first
    err = _fails_fast(storage, caplog, lambda: storage.discard(KEY))
    assert f"refused removing {KEY}: {code} (HTTP {status})" in err.message
    assert len(server.seen) == 1 and server.seen[0].startswith("DELETE ")
