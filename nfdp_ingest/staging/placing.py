"""MinIO mode: a staged object becomes a run's stored object by a server-side copy (no byte
passes through us; they were verified when staged), then the copy is tagged with the
checksums and its size checked, as ``MinioStorage.store`` leaves an upload."""

from __future__ import annotations

from minio.commonconfig import CopySource
from minio.helpers import MAX_PART_SIZE

from ..files import FileFacts
from ..storage import ObjectKey

COPY_MAX = MAX_PART_SIZE  # one CopyObject copies at most 5 GiB; above, a multipart copy


def copy_staged(storage, area, location: str, key: ObjectKey, facts: FileFacts) -> str:
    storage._buckets()
    bucket, name = storage.raw_bucket, key.key
    source = CopySource(area.bucket, area.key(location))

    def copy():
        if facts.size > COPY_MAX:
            from minio.commonconfig import ComposeSource

            storage.client.compose_object(bucket, name, [ComposeSource(area.bucket, area.key(location))])
        else:
            storage.client.copy_object(bucket, name, source)

    storage.retry.call(f"copying {location} to {bucket}/{name}", copy)
    storage._finalise(bucket, name, facts)
    stat = storage._stat(bucket, name)
    if stat is None or stat.size != facts.size:
        from ..errors import InfrastructureError

        raise InfrastructureError(f"{bucket}/{name}: the copy of {location} has size "
                                  f"{getattr(stat, 'size', None)}, expected {facts.size}")
    return f"{bucket}/{name}"
