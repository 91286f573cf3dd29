"""Open the HTML report in headless Chromium and check what a person would see."""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
import subprocess

import pytest

from nfdp_ingest.sheet import validate_sheet

from .conftest import DATA

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"

PROBE = """
<script>
(function () {
  function visible() {
    return Array.from(document.querySelectorAll('#sheet tbody tr'))
      .filter(function (tr) { return getComputedStyle(tr).display !== 'none'; })
      .map(function (tr) { return tr.getAttribute('data-line'); });
  }
  var out = {before: visible()};
  var box = document.getElementById('only-problems');
  box.click();
  out.after = visible();
  out.checked = box.checked;
  box.click();
  out.again = visible();
  var bad = document.querySelector('td.invalid');
  out.bad_bg = bad ? getComputedStyle(bad).backgroundColor : null;
  out.bad_title = bad ? bad.getAttribute('title') : null;
  out.text = document.body.innerText;
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def _chromium_available() -> bool:
    try:
        return subprocess.run([CHROMIUM, "--version"], capture_output=True, timeout=30, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = pytest.mark.skipif(not _chromium_available(), reason="chromium is not installed (.ci/run installs it)")


def _dump_dom(page, tmp_path) -> str:
    profile = tmp_path / "profile"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--virtual-time-budget=3000",
           "--dump-dom", page.as_uri()]
    last = None
    for _ in range(2):  # one retry: a loaded CI box can make the first start time out
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        except subprocess.TimeoutExpired as exc:
            last = exc
            continue
        if res.returncode == 0 and "</html>" in res.stdout:
            return res.stdout
        last = res.stderr[-2000:]
    pytest.fail(f"chromium did not render the page: {last}")


def test_report_in_headless_chromium(tmp_path):
    report = validate_sheet(DATA / "bad" / "comments_blank_lines.tsv")
    assert not report.valid
    page = tmp_path / "report.html"
    page.write_text(report.to_html().replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = _dump_dom(page, tmp_path)
    m = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert m, dom[-3000:]
    probe = json.loads(htmllib.unescape(m.group(1)))
    text = probe["text"]
    # the summary and the problem a person reads
    assert "INVALID" in text and "checklist ERC000011" in text
    assert "1 error, 0 warnings" in text
    assert "line 9, column platform: 'Illumna' is not a platform; did you mean ILLUMINA?" in text
    # all three rows visible first; the switch hides the clean ones, and brings them back
    assert probe["before"] == ["5", "6", "9"]
    assert probe["checked"] is True
    assert probe["after"] == ["9"]
    assert probe["again"] == ["5", "6", "9"]
    # the problem cell is coloured and carries its message on hover
    assert probe["bad_bg"] not in (None, "rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    assert "did you mean ILLUMINA?" in probe["bad_title"]


def test_hostile_cells_stay_text_in_the_browser(tmp_path):
    report = validate_sheet(DATA / "bad" / "html_in_cells.tsv")
    page = tmp_path / "report.html"
    page.write_text(report.to_html().replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = _dump_dom(page, tmp_path)
    probe = json.loads(htmllib.unescape(re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL).group(1)))
    assert "<script>alert(1)</script>" in probe["text"]  # shown as text, not run
    assert "<b>1</b>" in probe["text"]
