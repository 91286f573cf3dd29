"""One file: streamed to NAME.part, MD5 and SHA-256 checked as the bytes arrive, renamed into
place only when both match. A .part left by a cut is resumed with HTTP Range (its bytes are
re-hashed first); a server that ignores Range restarts the file. A mismatch removes the .part:
a bad file never stays under its final name, nor as a .part a re-run would build on."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from ..export.names import files_url
from .client import Client, Transient

CHUNK = 1024 * 1024
_SAFE_NAME = re.compile(r"^[^/\\\x00]+$")
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


@dataclass(frozen=True)
class FileJob:
    run: str
    filename: str
    size: int
    md5: str
    sha256: str

    def url(self, server: str) -> str:
        return files_url(server, self.run, self.filename)


@dataclass(frozen=True)
class Outcome:
    job: FileJob
    status: str  # downloaded | present | mismatch | missing | unreachable
    message: str = ""
    bytes_read: int = 0


def safe_target(out_dir: Path, job: FileJob) -> Path | None:
    """out_dir/RUN/FILENAME, or None when a name from the server could leave out_dir."""
    if not _SAFE_NAME.match(job.filename) or job.filename in (".", "..") or not _SAFE_NAME.match(job.run) \
            or job.run in (".", ".."):
        return None
    return out_dir / job.run / job.filename


class _State:
    """Bytes in the .part so far, and their running hashes (kept across retries)."""

    def __init__(self, part: Path, size: int):
        self.part = part
        self.md5, self.sha = hashlib.md5(), hashlib.sha256()
        self.offset = 0
        self.ranged = 0  # requests that asked for the rest (Range)
        if part.exists():
            if part.stat().st_size > size:
                part.unlink()
            else:
                with open(part, "rb") as fh:
                    while block := fh.read(CHUNK):
                        self.md5.update(block)
                        self.sha.update(block)
                        self.offset += len(block)

    def restart(self) -> None:
        self.part.unlink(missing_ok=True)
        self.md5, self.sha, self.offset = hashlib.md5(), hashlib.sha256(), 0


def _attempt(client: Client, url: str, job: FileJob, st: _State, progress) -> str | None:
    """Read the rest of the file into the .part; None when complete, else why it is not (final)."""
    headers = {"Range": f"bytes={st.offset}-"} if st.offset else {}
    st.ranged += bool(st.offset)
    response = client.open(url, headers)
    try:
        if response.status == 404:
            return "missing on the server (HTTP 404)"
        if response.status == 416 and st.offset == job.size:
            return None
        if response.status == 200 and st.offset:
            if progress is not None:
                progress.advance(-st.offset)
            st.restart()  # the server ignored Range: start over
        elif response.status == 206:
            m = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if not m or int(m.group(1)) != st.offset:
                st.restart()
                raise Transient(f"{url}: unexpected Content-Range {response.headers.get('Content-Range')!r}")
        elif response.status != 200:
            return f"HTTP {response.status} from the server"
        with open(st.part, "ab") as fh:
            try:
                # read1: what has arrived (up to CHUNK), so bytes before a cut are kept
                while block := response.read1(CHUNK):
                    if st.offset + len(block) > job.size:
                        return f"the server sent more than the {job.size} bytes recorded"
                    fh.write(block)
                    st.md5.update(block)
                    st.sha.update(block)
                    st.offset += len(block)
                    if progress is not None:
                        progress.advance(len(block))
            except Exception as exc:  # a cut connection, a read timeout: resume from here
                fh.flush()
                raise Transient(f"{url}: {type(exc).__name__} after {st.offset} bytes") from exc
        if st.offset != job.size:
            return f"the server sent {st.offset} bytes, the run records {job.size}"
        return None
    finally:
        response.release_conn()


def download(client: Client, job: FileJob, target: Path, *, attempts: int = 6, wait_max: float = 5.0,
             progress=None) -> Outcome:
    """Fetch one file into ``target`` (verified) unless it is there already."""
    if target.exists() and target.stat().st_size == job.size:
        return Outcome(job, "present")  # only verified files are ever renamed into place
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    st = _State(part, job.size)
    if progress is not None and st.offset:
        progress.advance(st.offset)
    resumed_from = st.offset
    url = job.url(client.server)
    try:
        for attempt in Retrying(stop=stop_after_attempt(attempts), reraise=True,
                                wait=wait_exponential(multiplier=0.2, max=wait_max),
                                retry=retry_if_exception_type(Transient)):
            with attempt:
                problem = _attempt(client, url, job, st, progress)
    except Transient as exc:
        return Outcome(job, "unreachable", f"gave up after {attempts} attempts: {exc}", st.offset - resumed_from)
    if problem is None:
        md5, sha = st.md5.hexdigest(), st.sha.hexdigest()
        if md5 == job.md5.lower() and sha == job.sha256.lower():
            os.replace(part, target)
            return Outcome(job, "downloaded", "resumed" if st.ranged else "", st.offset - resumed_from)
        problem = (f"checksum mismatch (MD5 {md5}, recorded {job.md5}; SHA-256 "
                   f"{'matches' if sha == job.sha256.lower() else 'differs'})")
    part.unlink(missing_ok=True)
    status = "missing" if problem.startswith("missing") else "mismatch"
    return Outcome(job, status, problem, st.offset - resumed_from)
