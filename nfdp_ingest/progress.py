"""Progress for long byte-moving jobs (hashing, uploading).

``make_progress(total_bytes, total_files, label)`` gives a live display on a terminal
(files done/total, bytes, rate, ETA, via rich) and, on anything else (cron, CI, pipes),
plain timestamped log lines at most every ``interval`` seconds plus a final line, with no
control characters. Every method is thread-safe; ``advance`` is cheap enough to call
per chunk from many threads.
"""

from __future__ import annotations

import sys
import threading
import time
from datetime import datetime
from typing import TextIO


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def human_rate(bytes_per_s: float) -> str:
    return f"{bytes_per_s / 1e6:.0f} MB/s"


def human_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}"


class Progress:
    """Counts bytes and files; subclasses show them. This base class shows nothing."""

    def __init__(self, total_bytes: int, total_files: int, label: str = "hashing"):
        self.total_bytes = max(0, int(total_bytes))
        self.total_files = max(0, int(total_files))
        self.label = label
        self.bytes_done = 0
        self.files_done = 0
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._closed = False

    # -- the interface ---------------------------------------------------------------
    def advance(self, nbytes: int) -> None:
        with self._lock:
            self.bytes_done += nbytes
            self._changed()

    def file_done(self, name: str | None = None) -> None:
        with self._lock:
            self.files_done += 1
            self._changed()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._finish()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- for subclasses (called with the lock held) ----------------------------------
    def _changed(self) -> None:
        pass

    def _finish(self) -> None:
        pass

    # -- numbers ---------------------------------------------------------------------
    def elapsed(self) -> float:
        return max(1e-9, time.monotonic() - self.started)

    def rate(self) -> float:
        return self.bytes_done / self.elapsed()

    def eta(self) -> float | None:
        rate = self.rate()
        if rate <= 0 or self.total_bytes <= self.bytes_done:
            return None
        return (self.total_bytes - self.bytes_done) / rate


NullProgress = Progress


class LogProgress(Progress):
    """Plain lines: '2025-01-31 12:00:00 hashing: 3/8 files, 1.2 GiB of 2.0 GiB (60%), ...'."""

    def __init__(self, total_bytes: int, total_files: int, label: str, stream: TextIO,
                 interval: float = 10.0):
        super().__init__(total_bytes, total_files, label)
        self.stream = stream
        self.interval = interval
        self._last = time.monotonic()
        self._emit(f"{label}: {total_files} files, {human_bytes(self.total_bytes)}")

    def _emit(self, text: str) -> None:
        stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        try:
            self.stream.write(f"{stamp} {text}\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed pipe must not break the real work
            pass

    def _status(self) -> str:
        pct = f" ({100 * self.bytes_done / self.total_bytes:.0f}%)" if self.total_bytes else ""
        eta = self.eta()
        eta_text = f", ETA {human_duration(eta)}" if eta is not None else ""
        return (f"{self.label}: {self.files_done}/{self.total_files} files, "
                f"{human_bytes(self.bytes_done)} of {human_bytes(self.total_bytes)}{pct}, "
                f"{human_rate(self.rate())}{eta_text}")

    def _changed(self) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._emit(self._status())

    def _finish(self) -> None:
        self._emit(f"{self.label} finished: {self.files_done}/{self.total_files} files, "
                   f"{human_bytes(self.bytes_done)} in {self.elapsed():.1f} s "
                   f"({human_rate(self.rate())})")


class LiveProgress(Progress):
    """A rich progress bar: label, bar, files done/total, bytes, rate, ETA."""

    def __init__(self, total_bytes: int, total_files: int, label: str, stream: TextIO):
        super().__init__(total_bytes, total_files, label)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as RichProgress

        self._rich = RichProgress(
            TextColumn("{task.description}"), BarColumn(),
            TextColumn("{task.fields[files]}"), DownloadColumn(binary_units=True),
            TransferSpeedColumn(), TimeRemainingColumn(),
            console=Console(file=stream), transient=False, refresh_per_second=4)
        self._task = self._rich.add_task(label, total=self.total_bytes or None,
                                         files=self._files_text())
        self._rich.start()

    def _files_text(self) -> str:
        return f"{self.files_done}/{self.total_files} files"

    def _changed(self) -> None:
        self._rich.update(self._task, completed=self.bytes_done, files=self._files_text())

    def _finish(self) -> None:
        self._rich.update(self._task, completed=self.bytes_done, files=self._files_text())
        self._rich.stop()


def make_progress(total_bytes: int, total_files: int, label: str = "hashing",
                  stream: TextIO | None = None, *, interval: float = 10.0,
                  enabled: bool = True, tty: bool | None = None) -> Progress:
    """A live display on a terminal, log lines elsewhere, nothing when not ``enabled``.

    ``tty`` forces the choice (tests, ``--progress`` flags); by default it is
    ``stream.isatty()``.
    """
    stream = sys.stderr if stream is None else stream
    if not enabled:
        return Progress(total_bytes, total_files, label)
    if tty is None:
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):
            tty = False
    if tty:
        return LiveProgress(total_bytes, total_files, label, stream)
    return LogProgress(total_bytes, total_files, label, stream, interval=interval)
