"""The one exception of the files area: something is wrong with one data file."""

from __future__ import annotations

from ..errors import InvalidInput


class FileProblem(InvalidInput):
    """A data file is missing, mislabelled, damaged or not what the sheet says.

    ``str(exc)`` / ``exc.message`` always starts with the file's name as the sheet
    wrote it. ``kind`` is a short machine-readable code (see ``KINDS``) so that callers
    can react (e.g. remove an uploaded object on ``md5_mismatch``) without parsing text.
    """

    KINDS = (
        "invalid_name",     # empty, absolute, '..'
        "outside_root",     # symlink escaping the files root
        "missing",          # no such file (or broken symlink)
        "not_regular",      # directory, fifo, device ...
        "unreadable",       # permission or I/O error
        "empty",            # zero bytes
        "unsupported",      # extension or content of no supported type
        "type_mismatch",    # extension and content disagree
        "md5_mismatch",     # declared MD5 differs from the file's
        "bad_md5",          # declared MD5 is not 32 hex digits
        "changed",          # file changed while being read
        "corrupt",          # deep check: truncated gzip, bad record ...
        "pair_mismatch",    # deep check: mates disagree
    )

    def __init__(self, filename: str, problem: str, *, kind: str = "invalid",
                 expected: str | None = None, actual: str | None = None):
        super().__init__(f"{filename}: {problem}")
        self.filename = filename
        self.problem = problem
        self.kind = kind
        self.expected = expected
        self.actual = actual

    def __reduce__(self):  # keep pickling (multiprocessing, logging) working
        return (_rebuild, (self.filename, self.problem, self.kind, self.expected, self.actual))


def _rebuild(filename, problem, kind, expected, actual):
    return FileProblem(filename, problem, kind=kind, expected=expected, actual=actual)
