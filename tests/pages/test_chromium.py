"""The pages in headless Chromium (selenium, Debian's chromium + chromedriver) against a live
server holding the demo data and a generated project of 3,000 runs: what the rendered DOM
shows, a screenshot of each page, the search box, keyboard navigation, embargo through the
token form, and markup in a value shown as text with no script run."""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path

import pytest

from .conftest import SCRIPT, make_submission

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extra (make install-test)")
pytestmark = pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                                reason="chromium / chromedriver are not installed (.ci/run installs them)")

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402


@pytest.fixture
def browser(tmp_path):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-proxy-server",
                "--window-size=1280,900", f"--user-data-dir={tmp_path / 'profile'}", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _text(driver, css: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, css).text


def _screenshot(driver, path: Path) -> None:
    """Save the page and check it is a real rendering: a PNG of the window's size, not one colour."""
    from PIL import Image

    png = driver.get_screenshot_as_png()
    path.write_bytes(png)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    assert width >= 300 and height >= 300 and len(png) > 15_000, (path.name, image.size, len(png))
    colours = image.getcolors(maxcolors=width * height)
    background = max(colours)[1]
    drawn = sum(n for n, colour in colours if colour != background) / (width * height)
    assert len(colours) > 20 and drawn > 0.01, (path.name, len(colours), drawn)  # text, not a blank


def _then_wait(driver, action) -> None:
    """Do ``action`` (a click, Enter in a form) and wait until the next page has loaded."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    action()
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(old))
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _no_alert(driver) -> None:
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - raises when no alert() ran


def test_every_page_shows_its_facts_and_renders(browser, live, demo, large, hostile, tmp_path):
    b = browser
    b.get(live + "/")
    assert _text(b, "h1") == "Projects" and b.find_element(By.CSS_SELECTOR, "label[for=q]").text
    row = b.find_element(By.XPATH, f"//tr[th/a[text()='{large}']]")
    assert [c.text for c in row.find_elements(By.CSS_SELECTOR, "td.num")] == ["750", "750", "3,000"]
    _screenshot(b, tmp_path / "index.png")

    started = time.monotonic()
    b.get(f"{live}/projects/{large}")
    assert time.monotonic() - started < 5  # the bench holds the 1 s figure for 100,000 runs
    assert _text(b, "h1") == "Large goat herd"
    facts = _text(b, "dl.facts")
    assert "Samples\n750" in facts and "Runs\n3,000" in facts and "Release date\nnot set" in facts
    runs = b.find_elements(By.CSS_SELECTOR, "#runs ~ .table-wrap tbody tr")
    assert len(runs) == 50 and "Runs: 3,000, rows 1–50" in _text(b, "#runs ~ .table-wrap caption")
    cells = [c.text for c in runs[0].find_elements(By.CSS_SELECTOR, "th, td")]
    assert cells[2].startswith("GOAT_00000_L1_R1") and cells[3] == "FASTQ" and cells[4] == "1.9 GiB"
    assert len(cells[5]) == 32 and cells[6] == "pending"
    assert b.find_elements(By.LINK_TEXT, "rnaseq sample sheet") and "Page 1 of 60" in b.page_source
    _screenshot(b, tmp_path / "project.png")
    _then_wait(b, b.find_element(By.CSS_SELECTOR, "nav[aria-label='Runs pages'] a[rel=next]").click)
    assert "rows 51–100" in _text(b, "#runs ~ .table-wrap caption")

    b.get(f"{live}/projects/{demo.projects[0]}")
    assert "passed" in _text(b, "#runs ~ .table-wrap tbody")
    b.get(f"{live}/samples/{demo.samples[0]}")
    assert _text(b, "h1") == "Sample SAMPLE_001" and "Breed Boran" in _text(b, "table.record")
    assert "sample_storage -80C" in b.find_elements(By.CSS_SELECTOR, "table.record")[1].text
    _screenshot(b, tmp_path / "sample.png")

    b.get(f"{live}/runs/{demo.runs[0]}")
    assert _text(b, "h1") == f"Run {demo.runs[0]}" and "d41d8cd98f00b204e9800998ecf8427e" in _text(b, "dl.facts")
    assert "total_sequences 50,000,000" in _text(b, "table.record")
    _screenshot(b, tmp_path / "run.png")
    _then_wait(b, b.find_element(By.LINK_TEXT, "FastQC report").click)
    assert "FastQC report" in b.find_element(By.TAG_NAME, "h1").text

    b.get(live + "/nightly")
    assert _text(b, "h1") == "Nightly ingest"
    _screenshot(b, tmp_path / "nightly.png")
    b.get(live + "/projects/NFDP-PRJ-999999")
    assert _text(b, "h1") == "Not found (404)"

    b.set_window_size(390, 844)  # a phone: nothing wider than the screen but the scrolling tables
    b.get(f"{live}/projects/{large}")
    assert b.execute_script("return document.documentElement.scrollWidth") <= \
        b.execute_script("return window.innerWidth") + 1
    _screenshot(b, tmp_path / "project-phone.png")


def test_the_search_box_finds_a_sample_by_breed_and_a_run_by_md5(browser, live, demo, hostile, tmp_path):
    b = browser
    b.get(live + "/")
    box = b.find_element(By.ID, "q")
    _then_wait(b, lambda: box.send_keys("Galla", Keys.ENTER))
    assert "/search?q=Galla" in b.current_url
    assert b.find_element(By.LINK_TEXT, hostile[1]).get_attribute("href").endswith(f"/samples/{hostile[1]}")
    _screenshot(b, tmp_path / "search.png")
    box = b.find_element(By.ID, "q")
    box.clear()
    _then_wait(b, lambda: box.send_keys("d41d8cd98f00b204e9800998ecf8427e", Keys.ENTER))
    assert "/search?q=d41d8cd98f00b204e9800998ecf8427e" in b.current_url
    _then_wait(b, b.find_element(By.LINK_TEXT, demo.runs[0]).click)
    assert _text(b, "h1") == f"Run {demo.runs[0]}"


def _tab_through(b) -> tuple[set[str], set[str]]:
    """Every link's href on the page, and the hrefs Tab focused (until focus comes back round)."""
    links = set(b.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"))
    reached: set[str] = set()
    from selenium.webdriver.common.action_chains import ActionChains

    b.execute_script("document.activeElement && document.activeElement.blur()")  # start at the top
    stops = b.execute_script("return document.querySelectorAll('a[href], button, input, [tabindex]').length")
    for _ in range(stops + 5):
        ActionChains(b).send_keys(Keys.TAB).perform()
        href = b.execute_script("var e = document.activeElement; return e && e.href ? e.href : null")
        if href:
            reached.add(href)
    return links, reached


def test_tab_reaches_every_link(browser, live, demo, large):
    for url in (live + "/", f"{live}/projects/{large}", f"{live}/projects/{demo.projects[0]}"):
        browser.get(url)
        links, reached = _tab_through(browser)
        assert len(links) > 5 and links == reached, (url, links - reached)


def test_embargoed_project_appears_after_the_token_form(browser, live, engine, embargo, hidden_token, tmp_path):
    b = browser
    running = make_submission(engine, embargo.hidden.project, status="reserved",
                              progress={"files_done": 1, "files_total": 4, "bytes_done": 0, "bytes_total": None})
    b.get(live + "/")
    assert embargo.hidden.project not in b.page_source
    b.get(f"{live}/submissions/{running}")
    assert _text(b, "h1") == "A valid token is needed (401)"
    b.get(f"{live}/projects/{embargo.hidden.project}")
    assert _text(b, "h1") == "Not found (404)"
    _then_wait(b, lambda: b.find_element(By.ID, "token-field").send_keys(hidden_token, Keys.ENTER))
    assert _text(b, "h1") == "Embargoed goats"  # back where the form was sent from
    assert "under embargo until then" in _text(b, "dl.facts") and hidden_token not in b.page_source
    cookie = b.get_cookie("nfdp_token")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert b.execute_script("return document.cookie") == ""  # no script can read it
    b.get(f"{live}/submissions/{running}")
    assert _text(b, "h1") == f"Submission {running}" and "running" in _text(b, "dl.facts")
    assert b.find_element(By.ID, "files-progress").get_attribute("value") == "1"
    assert b.find_element(By.CSS_SELECTOR, "meta[http-equiv=refresh]").get_attribute("content") == "5"
    _screenshot(b, tmp_path / "submission.png")
    b.get(live + "/")
    assert embargo.hidden.project in b.page_source
    _then_wait(b, b.find_element(By.XPATH, "//button[text()='Forget token']").click)
    assert embargo.hidden.project not in b.page_source and b.get_cookie("nfdp_token") is None


def test_markup_in_an_attribute_is_shown_as_text(browser, live, hostile):
    b = browser
    b.get(f"{live}/samples/{hostile[1]}")
    _no_alert(b)
    cell = b.find_element(By.XPATH, "//tr[th[text()='note']]/td")
    assert cell.text == SCRIPT
    assert b.find_element(By.XPATH, "//tr[th[text()='herd <i>']]/td").text == "Marsabit & Isiolo"
    assert not b.find_elements(By.CSS_SELECTOR, "main script, main img, main i")
    b.get(f"{live}/projects/{hostile[0]}")
    _no_alert(b)
    assert _text(b, "h1") == f"Goats {SCRIPT}"
