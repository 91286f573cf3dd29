import io
import re
import threading

from nfdp_ingest.progress import LiveProgress, LogProgress, Progress, make_progress

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d hashing")


class Pipe(io.StringIO):
    def isatty(self):
        return False


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_non_tty_gets_plain_log_lines():
    out = Pipe()
    p = make_progress(3 * 1024 * 1024, 3, stream=out, interval=0)
    assert isinstance(p, LogProgress)
    for name in ("a", "b", "c"):
        p.advance(1024 * 1024)
        p.file_done(name)
    p.close()
    p.close()  # idempotent
    text = out.getvalue()
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", text), "control characters in log output"
    lines = text.splitlines()
    assert all(LINE.match(line) for line in lines), lines
    assert "3 files, 3.0 MiB" in lines[0]
    assert "1/3 files" in text and "(33%)" in text
    assert "hashing finished: 3/3 files, 3.0 MiB" in lines[-1]
    assert len([line for line in lines if "finished" in line]) == 1


def test_non_tty_lines_are_rate_limited():
    out = Pipe()
    p = make_progress(10_000, 100, stream=out, interval=3600)
    for _ in range(100):
        p.advance(100)
        p.file_done()
    p.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2  # start and final only, however many updates
    assert "100/100 files" in lines[-1]


def test_label_for_uploads():
    out = Pipe()
    with make_progress(10, 1, label="uploading", stream=out) as p:
        p.advance(10)
    assert "uploading finished: 0/1 files" in out.getvalue()


def test_thread_safety_counts():
    p = Progress(0, 0)
    def work():
        for _ in range(10_000):
            p.advance(3)
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert p.bytes_done == 8 * 10_000 * 3


def test_eta_and_rate():
    p = Progress(1000, 1)
    p.started -= 2.0
    p.advance(500)
    assert 200 < p.rate() < 260
    assert 1.5 < p.eta() < 2.5


def test_tty_gets_live_display():
    out = Tty()
    p = make_progress(1000, 2, stream=out)
    assert isinstance(p, LiveProgress)
    p.advance(1000)
    p.file_done("a")
    p.file_done("b")
    p.close()
    assert "2/2 files" in out.getvalue()


def test_disabled_is_silent():
    out = Pipe()
    p = make_progress(10, 1, stream=out, enabled=False)
    p.advance(10)
    p.close()
    assert out.getvalue() == ""


def test_broken_stream_does_not_break_work():
    class Closed(Pipe):
        def write(self, s):
            raise BrokenPipeError
    p = make_progress(10, 1, stream=Closed(), interval=0)
    p.advance(10)
    p.close()
    assert p.bytes_done == 10
