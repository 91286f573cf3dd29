"""Settings: command-line flags, else environment variables, else embedded defaults.

One immutable object is built at the edge (CLI or app factory) and passed down;
nothing below reads the environment itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import UsageError

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def _flag(value: str | None, name: str, default: bool) -> bool:
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise UsageError(f"{name}={value!r} is not a yes/no value (use true or false)")


def _int(value: str | None, name: str, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"{name}={value!r} is not an integer") from None


def _float(value: str | None, name: str, default: float) -> float:
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise UsageError(f"{name}={value!r} is not a number") from None


@dataclass(frozen=True)
class MinioSettings:
    endpoint: str = "127.0.0.1:9000"
    access_key: str = ""
    secret_key: str = field(default="", repr=False)  # never printed
    secure: bool = False
    region: str | None = None
    public_endpoint: str | None = None  # host[:port] or URL clients outside use
    part_size: int = 64 * 1024 * 1024
    parallel_parts: int = 4
    retry_attempts: int = 6
    retry_max_seconds: float = 120.0
    raw_bucket: str = "nfdp-raw"
    qc_bucket: str = "nfdp-qc"
    staging_bucket: str = "nfdp-staging"


ENA_WEBIN_URL = "https://www.ebi.ac.uk/ena/submit/webin-v2/"
ENA_WEBIN_TEST_URL = "https://wwwdev.ebi.ac.uk/ena/submit/webin-v2/"
ENA_WEBIN_FTP = "webin2.ebi.ac.uk:21"


@dataclass(frozen=True)
class EnaSettings:
    """ENA brokering: where Webin is, who we are there (the password is never printed)."""

    center_name: str | None = None  # NFDP_ENA_CENTER_NAME; a project's center_name overrides it
    user: str | None = None  # NFDP_WEBIN_USER, Webin-NNNNN
    password: str | None = field(default=None, repr=False)  # NFDP_WEBIN_PASSWORD(_FILE)
    url: str | None = None  # NFDP_WEBIN_URL; None: ENA's production (or test, with --test)
    ftp: str | None = None  # NFDP_WEBIN_FTP host[:port]; None: ENA's upload area
    ftp_cafile: Path | None = None  # NFDP_WEBIN_FTP_CAFILE: extra CAs to trust
    sync_limit: int = 1024 * 1024  # documents up to this many bytes go to /submit/, larger to the queue
    poll_seconds: float = 5.0
    timeout_seconds: float = 120.0


def _password(env: Mapping[str, str]) -> str | None:
    if env.get("NFDP_WEBIN_PASSWORD"):
        return env["NFDP_WEBIN_PASSWORD"]
    path = env.get("NFDP_WEBIN_PASSWORD_FILE")
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").strip() or None
    except OSError as exc:
        raise UsageError(f"NFDP_WEBIN_PASSWORD_FILE={path!r} cannot be read ({exc.strerror})") from None


def ena_from_env(env: Mapping[str, str]) -> EnaSettings:
    return EnaSettings(
        center_name=env.get("NFDP_ENA_CENTER_NAME") or None,
        user=env.get("NFDP_WEBIN_USER") or None,
        password=_password(env),
        url=env.get("NFDP_WEBIN_URL") or None,
        ftp=env.get("NFDP_WEBIN_FTP") or None,
        ftp_cafile=Path(env["NFDP_WEBIN_FTP_CAFILE"]) if env.get("NFDP_WEBIN_FTP_CAFILE") else None,
        sync_limit=_int(env.get("NFDP_WEBIN_SYNC_LIMIT"), "NFDP_WEBIN_SYNC_LIMIT", EnaSettings.sync_limit),
        poll_seconds=_float(env.get("NFDP_WEBIN_POLL_SECONDS"), "NFDP_WEBIN_POLL_SECONDS",
                            EnaSettings.poll_seconds),
        timeout_seconds=_float(env.get("NFDP_WEBIN_TIMEOUT"), "NFDP_WEBIN_TIMEOUT", EnaSettings.timeout_seconds),
    )


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file under data_dir
    storage: str = "local"  # local | minio
    minio: MinioSettings = field(default_factory=MinioSettings)
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    qc_dir: Path | None = None  # local QC reports; default data_dir/qc
    public_url: str | None = None  # base URL the API advertises in file reports
    ena: EnaSettings = field(default_factory=EnaSettings)
    staging_days: int = 30  # staged files unused this long are removed by `staging clean`
    job_threads: int = 2  # submissions the serving process runs at once (embedded runner)
    jobs: str = "embedded"  # embedded | workers (procrastinate on PostgreSQL, `nfdp-ingest worker`)
    job_attempts: int = 3  # tries of a job on workers before it ends failed
    job_batch_files: int = 16  # files per batch job of a submission on workers
    worker_heartbeat: float = 10.0  # seconds between a worker's heartbeats; dead after 3 missed
    worker_poll: float = 1.0  # seconds between a worker's fallback polls (jobs start on NOTIFY)
    nightly_schedule: str | None = None  # cron: the nightly scan as a periodic task on workers
    nightly_inbox: Path | None = None  # the inbox that periodic scan reads (a folder every worker sees)
    nightly_settle: float = 600.0  # seconds a sheet must be left alone before the periodic scan takes it

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'nfdp.sqlite3').resolve()}"

    @property
    def staging_path(self) -> Path:
        return self.data_dir / "staging"

    @property
    def qc_path(self) -> Path:
        return self.qc_dir or self.data_dir / "qc"

    def with_overrides(self, **changes) -> Settings:
        """Flags win over environment: pass only the flags the user gave."""
        changes = {k: v for k, v in changes.items() if v is not None}
        minio_changes = {k[6:]: changes.pop(k) for k in list(changes) if k.startswith("minio_")}
        new = replace(self, **changes)
        if minio_changes:
            new = replace(new, minio=replace(new.minio, **minio_changes))
        return new


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    storage = env.get("NFDP_STORAGE", "local").strip().lower() or "local"
    if storage not in ("local", "minio"):
        raise UsageError(f"NFDP_STORAGE={storage!r}: use 'local' or 'minio'")
    minio = MinioSettings(
        endpoint=env.get("NFDP_MINIO_ENDPOINT", MinioSettings.endpoint),
        access_key=env.get("NFDP_MINIO_ACCESS_KEY", ""),
        secret_key=env.get("NFDP_MINIO_SECRET_KEY", ""),
        secure=_flag(env.get("NFDP_MINIO_SECURE"), "NFDP_MINIO_SECURE", False),
        region=env.get("NFDP_MINIO_REGION") or None,
        public_endpoint=env.get("NFDP_MINIO_PUBLIC_ENDPOINT") or None,
        part_size=_int(env.get("NFDP_MINIO_PART_SIZE"), "NFDP_MINIO_PART_SIZE", MinioSettings.part_size),
        parallel_parts=_int(env.get("NFDP_MINIO_PARALLEL_PARTS"), "NFDP_MINIO_PARALLEL_PARTS",
                            MinioSettings.parallel_parts),
        staging_bucket=env.get("NFDP_MINIO_STAGING_BUCKET") or MinioSettings.staging_bucket,
        retry_attempts=_int(env.get("NFDP_RETRY_ATTEMPTS"), "NFDP_RETRY_ATTEMPTS", MinioSettings.retry_attempts),
        retry_max_seconds=_float(
            env.get("NFDP_RETRY_MAX_SECONDS"), "NFDP_RETRY_MAX_SECONDS", MinioSettings.retry_max_seconds
        ),
    )
    return Settings(
        data_dir=Path(env.get("NFDP_DATA_DIR", "var")),
        database_url=env.get("NFDP_DATABASE_URL", ""),
        storage=storage,
        minio=minio,
        threads=_int(env.get("NFDP_THREADS"), "NFDP_THREADS", os.cpu_count() or 1),
        qc_dir=Path(env["NFDP_QC_DIR"]) if env.get("NFDP_QC_DIR") else None,
        public_url=env.get("NFDP_PUBLIC_URL") or None,
        ena=ena_from_env(env),
        staging_days=_int(env.get("NFDP_STAGING_DAYS"), "NFDP_STAGING_DAYS", 30),
        job_threads=_int(env.get("NFDP_JOB_THREADS"), "NFDP_JOB_THREADS", 2),
        jobs=_jobs_mode(env.get("NFDP_JOBS")),
        job_attempts=max(1, _int(env.get("NFDP_JOB_ATTEMPTS"), "NFDP_JOB_ATTEMPTS", 3)),
        job_batch_files=max(1, _int(env.get("NFDP_JOB_BATCH_FILES"), "NFDP_JOB_BATCH_FILES", 16)),
        worker_heartbeat=_float(env.get("NFDP_WORKER_HEARTBEAT"), "NFDP_WORKER_HEARTBEAT", 10.0),
        worker_poll=_float(env.get("NFDP_WORKER_POLL"), "NFDP_WORKER_POLL", 1.0),
        nightly_schedule=env.get("NFDP_NIGHTLY_SCHEDULE") or None,
        nightly_inbox=Path(env["NFDP_NIGHTLY_INBOX"]) if env.get("NFDP_NIGHTLY_INBOX") else None,
        nightly_settle=_float(env.get("NFDP_NIGHTLY_SETTLE"), "NFDP_NIGHTLY_SETTLE", 600.0),
    )


def _jobs_mode(value: str | None) -> str:
    mode = (value or "embedded").strip().lower() or "embedded"
    if mode not in ("embedded", "workers"):
        raise UsageError(f"NFDP_JOBS={value!r}: use 'embedded' (jobs in the serving process) or 'workers'")
    return mode
