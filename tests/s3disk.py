"""A small disk-backed S3-protocol server for tests: objects of any size, little memory.

Why: moto assembles a completed multipart upload in memory several times over, so it
cannot hold an object over S3's 5 GiB copy limit on a test machine. This server keeps
every byte in files under a temporary folder: a part is written to its own file as it
streams in, and CompleteMultipartUpload concatenates the part files into the object file
with ``os.copy_file_range`` (pread/pwrite as a fallback), range by range, never whole in
memory. Runs of zeros are left as holes (in parts and objects), so a sparse test file
stays sparse on the server's disk too.

It speaks just the S3 REST calls the ``minio`` client makes for
``nfdp_ingest.storage.minio_store`` and its tests, path-style, as S3 documents them:
HeadBucket, CreateBucket, GetBucketLocation; CreateMultipartUpload (keeps ``x-amz-meta-*``
and Content-Type), UploadPart (ETag: the part's quoted MD5 hex), CompleteMultipartUpload
(ETag ``md5(concatenated part MD5s)-N``), AbortMultipartUpload; PutObject, HeadObject,
GetObject (streamed, with a single ``Range``), DeleteObject; Put/Get/DeleteObjectTagging.
Errors are S3 error XML (NoSuchBucket, NoSuchKey, NoSuchUpload, InvalidPart, ...).

**CopyObject and UploadPartCopy are not implemented** (501 NotImplemented): a test that
proves nothing is rewritten server side then fails loudly if a copy is attempted. Nor are
chunked bodies (``Transfer-Encoding: chunked``, ``aws-chunked`` / ``STREAMING-*`` payload
signing): minio-py sends every body with a Content-Length and a plain payload hash.

Authentication is **not** checked: SigV4 signatures and payload hashes are ignored. This is
a stand-in for the protocol, not for auth (moto and the credential tests cover that).
"""

from __future__ import annotations

import base64
import errno
import hashlib
import os
import re
import shutil
import tempfile
import threading
import uuid
import xml.etree.ElementTree as ET
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

from tests.s3server import ACCESS_KEY, SECRET_KEY, S3Server

CHUNK = 1024 * 1024
COPY_STEP = 64 * 1024 * 1024
MIN_PART = 5 * 1024 * 1024  # S3: every part but the last at least 5 MiB
NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_ZEROS = bytes(CHUNK)


class S3Fail(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) == name]


def _text(element: ET.Element, name: str) -> str | None:
    for c in element:
        if _local(c.tag) == name:
            return c.text or ""
    return None


def _parse_xml(body: bytes) -> ET.Element:
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise S3Fail(400, "MalformedXML", f"the XML is not well formed: {exc}") from None


def _copy_range(src: int, dst: int, src_off: int, count: int, dst_off: int) -> None:
    """Copy ``count`` bytes in the kernel where it can (copy_file_range), else pread/pwrite."""
    while count > 0:
        step = min(count, COPY_STEP)
        try:
            n = os.copy_file_range(src, dst, step, src_off, dst_off)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            n = 0
        if n <= 0:  # not supported here: copy through a small buffer
            data = os.pread(src, min(step, CHUNK), src_off)
            if not data:
                raise OSError(f"short part file: {count} bytes missing")
            n = os.pwrite(dst, data, dst_off)
        src_off += n
        dst_off += n
        count -= n


def _data_ranges(fd: int, size: int):
    """(start, end) of the parts of a file holding data (holes skipped where the OS says)."""
    off = 0
    while off < size:
        try:
            start = os.lseek(fd, off, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # only a hole after off
                return
            yield off, size  # SEEK_DATA not supported: all data
            return
        try:
            end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        except OSError:
            end = size
        yield start, end
        off = end


def _error_xml(code: str, message: str, resource: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message><Resource>{escape(resource)}</Resource>"
            f"<RequestId>S3DISK</RequestId></Error>").encode()


class _Store:
    """Buckets, objects and uploads: metadata in memory, bytes in files under ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self.lock = threading.Lock()
        self.buckets: set[str] = set()
        self.objects: dict[tuple[str, str], dict] = {}
        self.uploads: dict[str, dict] = {}

    def new_file(self, prefix: str) -> Path:
        return self.root / f"{prefix}-{uuid.uuid4().hex}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "s3disk"
    store: _Store  # set on the subclass made per server

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    # -- plumbing -----------------------------------------------------------------------
    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        self.query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        path = unquote(parts.path)
        bucket, _, key = path.lstrip("/").partition("/")
        self.resource = path
        self.body_left = int(self.headers.get("Content-Length") or 0)
        try:
            te = (self.headers.get("Transfer-Encoding") or "").lower()
            sha = self.headers.get("x-amz-content-sha256") or ""
            if te or sha.startswith("STREAMING-") or "aws-chunked" in (self.headers.get("Content-Encoding") or ""):
                self.close_connection = True
                raise S3Fail(501, "NotImplemented", "chunked request bodies are not supported by s3disk")
            if not bucket:
                raise S3Fail(501, "NotImplemented", "ListBuckets is not supported by s3disk")
            if key:
                self._object(self.command, bucket, key)
            else:
                self._bucket(self.command, bucket)
        except S3Fail as fail:
            self._drain()
            self._send(fail.status, _error_xml(fail.code, fail.message, self.resource))
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _dispatch

    def _drain(self) -> None:
        while self.body_left > 0:
            data = self.rfile.read(min(self.body_left, CHUNK))
            if not data:
                self.close_connection = True
                return
            self.body_left -= len(data)

    def _body(self, limit: int = 1024 * 1024) -> bytes:
        if self.body_left > limit:
            raise S3Fail(400, "EntityTooLarge", "request body too large for this call")
        data = self.rfile.read(self.body_left) if self.body_left else b""
        self.body_left = 0
        self._check_md5(hashlib.md5(data))
        return data

    def _check_md5(self, md5) -> None:
        sent = self.headers.get("Content-MD5")
        if sent:
            if base64.b64encode(md5.digest()).decode() != sent.strip():
                raise S3Fail(400, "BadDigest", "the Content-MD5 you specified did not match what was received")

    def _receive_to_file(self, path: Path) -> tuple[str, int]:
        """Stream the request body into ``path`` (zeros as holes); (md5 hex, size)."""
        md5 = hashlib.md5()
        size = 0
        with open(path, "wb") as fh:
            while self.body_left > 0:
                data = self.rfile.read(min(self.body_left, CHUNK))
                if not data:
                    raise ConnectionError("client went away mid-body")
                self.body_left -= len(data)
                md5.update(data)
                size += len(data)
                if len(data) == CHUNK and data == _ZEROS:
                    fh.seek(len(data), os.SEEK_CUR)  # leave a hole
                else:
                    fh.write(data)
            fh.truncate(size)
        self._check_md5(md5)
        return md5.hexdigest(), size

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
              xml: bool = True) -> None:
        self.send_response(status)
        if xml and body:
            self.send_header("Content-Type", "application/xml")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("x-amz-request-id", "S3DISK")
        if self.command == "HEAD":
            if "Content-Length" not in (headers or {}):
                self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    # -- buckets ------------------------------------------------------------------------
    def _bucket(self, method: str, bucket: str) -> None:
        st = self.store
        with st.lock:
            exists = bucket in st.buckets
        if method == "HEAD":
            self._send(200 if exists else 404)
        elif method == "PUT" and not self.query:
            self._body()
            if exists:
                raise S3Fail(409, "BucketAlreadyOwnedByYou", "your previous request to create the "
                                                             "named bucket succeeded and you already own it")
            with st.lock:
                st.buckets.add(bucket)
            self._send(200, headers={"Location": f"/{bucket}"})
        elif method == "GET" and "location" in self.query:
            if not exists:
                raise S3Fail(404, "NoSuchBucket", "the specified bucket does not exist")
            self._send(200, f'<?xml version="1.0" encoding="UTF-8"?>\n'
                            f'<LocationConstraint xmlns="{NS}"></LocationConstraint>'.encode())
        else:
            raise S3Fail(501, "NotImplemented", f"{method} on a bucket with {sorted(self.query)} "
                                                "is not supported by s3disk")

    # -- objects ------------------------------------------------------------------------
    def _object(self, method: str, bucket: str, key: str) -> None:
        st = self.store
        with st.lock:
            if bucket not in st.buckets:
                raise S3Fail(404, "NoSuchBucket", "the specified bucket does not exist")
        q = self.query
        if "x-amz-copy-source" in self.headers:
            raise S3Fail(501, "NotImplemented", "CopyObject / UploadPartCopy are not supported by s3disk "
                                                "(a server-side copy was attempted)")
        if method == "POST" and "uploads" in q:
            return self._create_upload(bucket, key)
        if method == "PUT" and "uploadId" in q:
            return self._upload_part(bucket, key)
        if method == "POST" and "uploadId" in q:
            return self._complete(bucket, key)
        if method == "DELETE" and "uploadId" in q:
            return self._abort(bucket, key)
        if "tagging" in q:
            return self._tagging(method, bucket, key)
        if q and set(q) - {"versionId"}:
            raise S3Fail(501, "NotImplemented", f"{method} with {sorted(q)} is not supported by s3disk")
        if method == "PUT":
            return self._put(bucket, key)
        if method in ("GET", "HEAD"):
            return self._get(bucket, key, head=method == "HEAD")
        if method == "DELETE":
            return self._delete(bucket, key)
        raise S3Fail(501, "NotImplemented", f"{method} on an object is not supported by s3disk")

    def _meta(self) -> dict[str, str]:
        meta = {name.lower(): value for name, value in self.headers.items()
                if name.lower().startswith("x-amz-meta-")}
        meta["content-type"] = self.headers.get("Content-Type") or "binary/octet-stream"
        return meta

    def _install(self, bucket: str, key: str, path: Path, size: int, etag: str, meta: dict) -> None:
        st = self.store
        entry = {"path": path, "size": size, "etag": etag, "meta": meta, "tags": {},
                 "modified": formatdate(usegmt=True)}
        with st.lock:
            old = st.objects.get((bucket, key))
            st.objects[(bucket, key)] = entry
        if old is not None:
            old["path"].unlink(missing_ok=True)

    def _put(self, bucket: str, key: str) -> None:
        path = self.store.new_file("obj")
        try:
            md5, size = self._receive_to_file(path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        self._install(bucket, key, path, size, md5, self._meta())
        self._send(200, headers={"ETag": f'"{md5}"'})

    def _lookup(self, bucket: str, key: str) -> dict:
        with self.store.lock:
            entry = self.store.objects.get((bucket, key))
        if entry is None:
            raise S3Fail(404, "NoSuchKey", "the specified key does not exist")
        return entry

    def _get(self, bucket: str, key: str, *, head: bool) -> None:
        entry = self._lookup(bucket, key)
        size = entry["size"]
        start, end = 0, size  # end exclusive
        status = 200
        rng = self.headers.get("Range")
        if rng:
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if not m or m.groups() == ("", ""):
                raise S3Fail(400, "InvalidArgument", f"unsupported Range {rng!r}")
            first, last = m.groups()
            if first:
                start, end = int(first), (int(last) + 1 if last else size)
            else:
                start, end = max(0, size - int(last)), size
            end = min(end, size)
            if start >= size or start >= end:
                raise S3Fail(416, "InvalidRange", "the requested range is not satisfiable")
            status = 206
        meta = dict(entry["meta"])
        headers = {"Content-Type": meta.pop("content-type"), "Content-Length": str(end - start),
                   "ETag": f'"{entry["etag"]}"', "Last-Modified": entry["modified"],
                   "Accept-Ranges": "bytes", **meta}
        if entry["tags"]:
            headers["x-amz-tagging-count"] = str(len(entry["tags"]))
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if head:
            return
        with open(entry["path"], "rb") as fh:
            fh.seek(start)
            left = end - start
            while left > 0:
                data = fh.read(min(left, CHUNK))
                if not data:
                    raise ConnectionError("object file shorter than recorded")
                self.wfile.write(data)
                left -= len(data)

    def _delete(self, bucket: str, key: str) -> None:
        with self.store.lock:
            entry = self.store.objects.pop((bucket, key), None)
        if entry is not None:
            entry["path"].unlink(missing_ok=True)
        self._send(204)

    def _tagging(self, method: str, bucket: str, key: str) -> None:
        entry = self._lookup(bucket, key)
        if method == "PUT":
            root = _parse_xml(self._body())
            tags = {}
            for tagset in _children(root, "TagSet"):
                for tag in _children(tagset, "Tag"):
                    k, v = _text(tag, "Key"), _text(tag, "Value")
                    if not k or v is None or len(k) > 128 or len(v) > 256:
                        raise S3Fail(400, "InvalidTag", "a tag key or value is missing or too long")
                    tags[k] = v
            if len(tags) > 10:
                raise S3Fail(400, "BadRequest", "object tags cannot be greater than 10")
            with self.store.lock:
                entry["tags"] = tags
            self._send(200)
        elif method == "GET":
            with self.store.lock:
                tags = dict(entry["tags"])
            body = "".join(f"<Tag><Key>{escape(k)}</Key><Value>{escape(v)}</Value></Tag>" for k, v in tags.items())
            self._send(200, f'<?xml version="1.0" encoding="UTF-8"?>\n<Tagging xmlns="{NS}">'
                            f"<TagSet>{body}</TagSet></Tagging>".encode())
        elif method == "DELETE":
            with self.store.lock:
                entry["tags"] = {}
            self._send(204)
        else:
            raise S3Fail(501, "NotImplemented", f"{method} ?tagging is not supported by s3disk")

    # -- multipart ----------------------------------------------------------------------
    def _upload(self, bucket: str, key: str) -> dict:
        upload_id = self.query["uploadId"]
        with self.store.lock:
            up = self.store.uploads.get(upload_id)
        if up is None or (up["bucket"], up["key"]) != (bucket, key):
            raise S3Fail(404, "NoSuchUpload", "the specified multipart upload does not exist")
        return up

    def _create_upload(self, bucket: str, key: str) -> None:
        self._body()
        upload_id = uuid.uuid4().hex
        with self.store.lock:
            self.store.uploads[upload_id] = {"bucket": bucket, "key": key, "meta": self._meta(),
                                             "parts": {}}
        self._send(200, f'<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult '
                        f'xmlns="{NS}"><Bucket>{escape(bucket)}</Bucket><Key>{escape(key)}</Key>'
                        f"<UploadId>{upload_id}</UploadId></InitiateMultipartUploadResult>".encode())

    def _upload_part(self, bucket: str, key: str) -> None:
        up = self._upload(bucket, key)
        try:
            number = int(self.query.get("partNumber", ""))
        except ValueError:
            number = 0
        if not 1 <= number <= 10_000:
            raise S3Fail(400, "InvalidArgument", "partNumber must be an integer from 1 to 10000")
        path = self.store.new_file("part")
        try:
            md5, size = self._receive_to_file(path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        with self.store.lock:
            alive = self.store.uploads.get(self.query["uploadId"]) is up
            old = up["parts"].get(number) if alive else None
            if alive:
                up["parts"][number] = {"path": path, "md5": md5, "size": size}
        if old is not None:
            old["path"].unlink(missing_ok=True)
        if not alive:  # aborted while the part streamed in
            path.unlink(missing_ok=True)
            raise S3Fail(404, "NoSuchUpload", "the specified multipart upload does not exist")
        self._send(200, headers={"ETag": f'"{md5}"'})

    def _complete(self, bucket: str, key: str) -> None:
        up = self._upload(bucket, key)
        root = _parse_xml(self._body())
        listed = []
        for part in _children(root, "Part"):
            try:
                number = int(_text(part, "PartNumber") or "")
            except ValueError:
                raise S3Fail(400, "MalformedXML", "a Part without a PartNumber") from None
            listed.append((number, (_text(part, "ETag") or "").strip().strip('"').lower()))
        if not listed:
            raise S3Fail(400, "MalformedXML", "CompleteMultipartUpload lists no parts")
        numbers = [n for n, _ in listed]
        if numbers != sorted(set(numbers)):
            raise S3Fail(400, "InvalidPartOrder", "the list of parts was not in ascending order")
        with self.store.lock:
            if self.store.uploads.get(self.query["uploadId"]) is not up:
                raise S3Fail(404, "NoSuchUpload", "the specified multipart upload does not exist")
            parts = []
            for number, etag in listed:
                part = up["parts"].get(number)
                if part is None or part["md5"] != etag:
                    raise S3Fail(400, "InvalidPart", f"part {number} was not found or its ETag does "
                                                     "not match")
                parts.append(part)
            for part in parts[:-1]:
                if part["size"] < MIN_PART:
                    raise S3Fail(400, "EntityTooSmall", "a part other than the last is smaller "
                                                        "than 5 MiB")
            del self.store.uploads[self.query["uploadId"]]  # nobody else completes or aborts it
        path = self.store.new_file("obj")
        total = 0
        try:
            with open(path, "wb") as out:
                for part in parts:
                    with open(part["path"], "rb") as src:
                        for start, end in _data_ranges(src.fileno(), part["size"]):
                            _copy_range(src.fileno(), out.fileno(), start, end - start, total + start)
                    total += part["size"]
                out.truncate(total)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        finally:
            for part in up["parts"].values():
                part["path"].unlink(missing_ok=True)
        digest = hashlib.md5(b"".join(bytes.fromhex(p["md5"]) for p in parts)).hexdigest()
        etag = f"{digest}-{len(parts)}"
        self._install(bucket, key, path, total, etag, up["meta"])
        self._send(200, f'<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult '
                        f'xmlns="{NS}"><Location>http://{self.headers.get("Host", "")}/{escape(bucket)}/'
                        f"{escape(key)}</Location><Bucket>{escape(bucket)}</Bucket>"
                        f"<Key>{escape(key)}</Key><ETag>&quot;{etag}&quot;</ETag>"
                        f"</CompleteMultipartUploadResult>".encode())

    def _abort(self, bucket: str, key: str) -> None:
        up = self._upload(bucket, key)
        self._drain()
        with self.store.lock:
            self.store.uploads.pop(self.query["uploadId"], None)
            parts = list(up["parts"].values())
        for part in parts:
            part["path"].unlink(missing_ok=True)
        self._send(204)


class S3DiskServer:
    """``S3DiskServer(root)`` serves on 127.0.0.1 (a free port) from a thread; files live
    in ``root`` (a temporary folder of its own when None, removed by ``stop()``)."""

    def __init__(self, root: Path | None = None):
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="s3disk-")) if root is None else Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.store = _Store(self.root)
        handler = type("S3DiskHandler", (_Handler,), {"store": self.store})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.host, self.port = self.httpd.server_address[:2]
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="s3disk", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self._thread.join(timeout=5)
            self.httpd = None
            if self._own_root:
                shutil.rmtree(self.root, ignore_errors=True)

    def disk_usage(self) -> int:
        """Bytes of disk the stored files take (allocated blocks: holes cost nothing)."""
        return sum(p.stat().st_blocks * 512 for p in self.root.iterdir() if p.is_file())


def start_s3disk(root: Path | None = None) -> S3Server:
    """Start a disk-backed server; returns the same :class:`S3Server` record as ``start_moto``
    (any credentials are accepted)."""
    server = S3DiskServer(root)
    return S3Server(host=server.host, port=server.port, access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                    _server=server)
