"""The Webin upload area over explicit FTPS (ENA-FACTS §3.4): AUTH TLS, login, PROT P, binary.

Each run file goes to the path its FILE element names (``project/run/name``); a file already
there with the right size is skipped. Bytes are streamed from storage (a local file, or the
MinIO object itself: no temporary copy).
"""

from __future__ import annotations

import ftplib
import json
import logging
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import InfrastructureError, UsageError

log = logging.getLogger("nfdp_ingest.ena")
CHUNK = 1024 * 1024


def parse_hostport(value: str) -> tuple[str, int]:
    host, _, port = value.strip().rpartition(":") if ":" in value else (value.strip(), "", "21")
    try:
        return host, int(port)
    except ValueError:
        raise UsageError(f"NFDP_WEBIN_FTP={value!r} is not host[:port]") from None


@dataclass(frozen=True)
class Upload:
    path: str  # in the upload area
    file_path: str  # in our storage
    size: int


def read_uploads(folder: Path) -> Iterator[Upload]:
    listing = folder / "uploads.tsv"
    if not listing.exists():
        return
    with open(listing, encoding="utf-8") as fh:
        for line in fh:
            path, size, file_path = line.rstrip("\n").split("\t", 2)
            yield Upload(path, json.loads(file_path), int(size))


class UploadArea:
    def __init__(self, address: str, user: str, password: str, *, cafile: Path | None = None,
                 timeout: float = 60.0):
        self.host, self.port = parse_hostport(address)
        self.user = user
        self._password = password
        self.context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        if cafile is not None:
            try:
                self.context.load_verify_locations(cafile=str(cafile))
            except (OSError, ssl.SSLError) as exc:
                raise UsageError(f"NFDP_WEBIN_FTP_CAFILE={cafile}: cannot be loaded ({exc})") from None
        self.timeout = timeout
        self.ftp: ftplib.FTP_TLS | None = None
        self._dirs: set[str] = set()

    def __enter__(self) -> UploadArea:
        ftp = ftplib.FTP_TLS(context=self.context, timeout=self.timeout)
        try:
            ftp.connect(self.host, self.port)
            ftp.auth()
            ftp.login(self.user, self._password)
            ftp.prot_p()
            ftp.voidcmd("TYPE I")
        except ftplib.error_perm as exc:
            ftp.close()
            raise UsageError(f"the upload area {self.host}:{self.port} refused {self.user}: {exc}") from None
        except (OSError, ftplib.Error, ssl.SSLError) as exc:
            ftp.close()
            raise InfrastructureError(f"cannot open the upload area {self.host}:{self.port} over FTPS: {exc}") from None
        self.ftp = ftp
        return self

    def __exit__(self, *exc) -> None:
        if self.ftp is not None:
            try:
                self.ftp.quit()
            except (OSError, ftplib.Error):
                self.ftp.close()

    def size(self, path: str) -> int | None:
        try:
            return self.ftp.size(path)
        except ftplib.error_perm:
            return None  # 550: not there

    def _makedirs(self, folder: PurePosixPath) -> None:
        for depth in range(1, len(folder.parts) + 1):
            part = "/".join(folder.parts[:depth])
            if part in self._dirs:
                continue
            try:
                self.ftp.mkd(part)
            except ftplib.error_perm:
                pass  # exists already
            self._dirs.add(part)

    def put(self, path: str, stream, progress=None) -> None:
        self._makedirs(PurePosixPath(path).parent)

        def sent(block: bytes) -> None:
            if progress is not None:
                progress.advance(len(block))

        self.ftp.storbinary(f"STOR {path}", stream, blocksize=CHUNK, callback=sent)


def upload_all(area: UploadArea, uploads: Iterator[Upload], storage, progress=None) -> tuple[int, int]:
    """Upload what is not there yet; returns (uploaded, skipped)."""
    uploaded = skipped = 0
    for item in uploads:
        try:
            if area.size(item.path) == item.size:
                skipped += 1
                if progress is not None:
                    progress.advance(item.size)
                    progress.file_done(item.path)
                continue
            with storage.open_file(item.file_path) as stream:
                area.put(item.path, stream, progress)
            if area.size(item.path) != item.size:
                raise InfrastructureError(f"{item.path}: the upload area holds a different size than {item.size}")
        except FileNotFoundError:
            raise InfrastructureError(f"{item.file_path}: the stored file of {item.path} is missing") from None
        except (OSError, ftplib.Error, ssl.SSLError) as exc:
            raise InfrastructureError(f"uploading {item.path} to the upload area failed: {exc}") from None
        uploaded += 1
        if progress is not None:
            progress.file_done(item.path)
        log.info("uploaded %s", item.path)
    return uploaded, skipped
