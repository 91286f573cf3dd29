"""MinIO mode: a staged object becomes a run's stored object by a server-side copy (no byte
passes through us; they were verified when staged) that carries the checksum tags in the
same request, as ``MinioStorage.store`` leaves an upload. The size and tags of the copy are
checked before commit by ``verify_all``, as for any stored file."""

from __future__ import annotations

from minio.commonconfig import REPLACE, ComposeSource, CopySource, Tags
from minio.helpers import MAX_PART_SIZE

from ..files import FileFacts
from ..storage import ObjectKey
from ..storage.minio_store import TAG_MD5, TAG_SHA256, TAG_TYPE

COPY_MAX = MAX_PART_SIZE  # one CopyObject copies at most 5 GiB; above, a multipart copy


def _tags(facts: FileFacts) -> Tags:
    tags = Tags.new_object_tags()
    tags[TAG_MD5] = facts.md5
    if facts.sha256:
        tags[TAG_SHA256] = facts.sha256
    tags[TAG_TYPE] = facts.file_type
    return tags


def copy_staged(storage, area, location: str, key: ObjectKey, facts: FileFacts) -> str:
    storage._buckets()
    bucket, name, source_key = storage.raw_bucket, key.key, area.key(location)

    def copy():
        if facts.size > COPY_MAX:
            storage.client.compose_object(bucket, name, [ComposeSource(area.bucket, source_key)],
                                          tags=_tags(facts))
        else:
            storage.client.copy_object(bucket, name, CopySource(area.bucket, source_key), tags=_tags(facts),
                                       tagging_directive=REPLACE)

    storage.retry.call(f"copying {location} to {bucket}/{name}", copy)
    return f"{bucket}/{name}"
