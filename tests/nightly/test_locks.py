"""The SQLite file lock: where it lives, and a symlink at its path is refused."""

from __future__ import annotations

import pytest

from nfdp_ingest.errors import InfrastructureError, LockHeld
from nfdp_ingest.nightly import nightly_lock


def test_a_symlink_at_the_lock_path_is_refused_and_its_target_untouched(tmp_path):
    db_file = tmp_path / "reg" / "nfdp.sqlite3"
    db_file.parent.mkdir()
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    (db_file.parent / "nfdp.sqlite3.nightly.lock").symlink_to(victim)

    with pytest.raises(InfrastructureError, match="is a symbolic link; refusing to use it") as info:
        with nightly_lock(f"sqlite:///{db_file}"):
            pytest.fail("the lock must not be taken through a symlink")
    assert info.value.exit_code == 3
    assert victim.read_text() == "keep me\n"


def test_the_lock_file_sits_beside_the_database_and_excludes_a_second_holder(tmp_path):
    db_file = tmp_path / "reg" / "nfdp.sqlite3"
    url = f"sqlite:///{db_file}?timeout=5"  # a query string is not part of the file name
    with nightly_lock(url) as what:
        lock = db_file.parent / "nfdp.sqlite3.nightly.lock"
        assert what == f"file lock {lock}"
        assert '"pid"' in lock.read_text()
        with pytest.raises(LockHeld, match="held by host"):
            with nightly_lock(url):
                pytest.fail("a second holder must be refused")
    with nightly_lock(url):  # released: taken again at once
        pass
