"""Storage modes behind one interface: ``open_storage(settings)``."""

from __future__ import annotations

from ..config import Settings
from .base import ObjectKey, Storage, StoredFile
from .local import LocalStorage


def open_storage(settings: Settings) -> Storage:
    if settings.storage == "minio":
        from .minio_store import MinioStorage  # the client is only needed in this mode

        return MinioStorage(settings.minio)
    return LocalStorage(settings.qc_path)


__all__ = ["LocalStorage", "ObjectKey", "Storage", "StoredFile", "open_storage"]
