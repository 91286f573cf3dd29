import os

import pytest

from nfdp_ingest.files import FileProblem, resolve_file
from tests.fixtures_files import write_fastq, write_symlink_out_of_root


def test_plain_file_and_subfolder(root):
    f = write_fastq(root, "run1/S1_R1.fastq.gz")
    got = resolve_file(root, "run1/S1_R1.fastq.gz")
    assert got == f.path.resolve() and got.is_absolute()
    assert resolve_file(str(root), "./run1//S1_R1.fastq.gz") == got


def test_symlink_inside_root_is_fine_and_resolved(root):
    f = write_fastq(root, "data/S1.fq")
    os.symlink("data/S1.fq", root / "link.fq")
    assert resolve_file(root, "link.fq") == f.path.resolve()


def test_symlink_escaping_root(root, tmp_path):
    link, _target = write_symlink_out_of_root(root, tmp_path / "outside")
    with pytest.raises(FileProblem) as e:
        resolve_file(root, link.name)
    assert e.value.kind == "outside_root" and e.value.filename == link.name
    assert str(e.value).startswith(link.name + ":") and "outside the files folder" in str(e.value)


def test_symlinked_folder_escaping_root(root, tmp_path):
    write_fastq(tmp_path / "outside", "S1.fq")
    os.symlink(tmp_path / "outside", root / "sub")
    with pytest.raises(FileProblem, match="outside the files folder"):
        resolve_file(root, "sub/S1.fq")


@pytest.mark.parametrize("name", ["../outside/x.fq", "a/../../x.fq", "a/../x.fq", "..\\x.fq"])
def test_dotdot_refused(root, name):
    with pytest.raises(FileProblem) as e:
        resolve_file(root, name)
    assert e.value.kind == "invalid_name" and "'..'" in str(e.value) and name in str(e.value)


@pytest.mark.parametrize("name", ["/etc/passwd", "C:\\data\\x.fq", "\\\\server\\share\\x.fq", "~/x.fq"])
def test_absolute_refused(root, name):
    with pytest.raises(FileProblem) as e:
        resolve_file(root, name)
    assert e.value.kind == "invalid_name" and "absolute" in str(e.value)


@pytest.mark.parametrize("name", ["", "   "])
def test_empty_name(root, name):
    with pytest.raises(FileProblem, match="empty file name"):
        resolve_file(root, name)


def test_missing_and_broken_link_and_directory(root):
    with pytest.raises(FileProblem) as e:
        resolve_file(root, "nope.fastq.gz")
    assert e.value.kind == "missing" and "nope.fastq.gz: no such file" in str(e.value)
    os.symlink(root / "gone.fq", root / "broken.fq")
    with pytest.raises(FileProblem) as e:
        resolve_file(root, "broken.fq")
    assert e.value.kind == "missing"
    (root / "dir.fq").mkdir()
    with pytest.raises(FileProblem, match="is a directory") as e:
        resolve_file(root, "dir.fq")
    assert e.value.kind == "not_regular"


def test_fifo_is_not_regular(root):
    os.mkfifo(root / "pipe.fq")
    with pytest.raises(FileProblem, match="not a regular file"):
        resolve_file(root, "pipe.fq")


def test_missing_root(tmp_path):
    with pytest.raises(FileProblem, match="does not exist"):
        resolve_file(tmp_path / "nope", "a.fq")
