"""explain's web page in a real headless browser (Debian's chromium, driven by Selenium and chromium-driver):
it loads, the arrow keys and the buttons step through the backward pass, and the console stays clean.

CI installs chromium and chromium-driver (.ci/run), so there the test never skips; elsewhere it skips only
when neither the browser nor the driver is installed.
"""

import os
import shutil
import tempfile

import pytest
from test_explain import xor_net

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

BROWSER = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
DRIVER = shutil.which("chromedriver") or (os.path.exists("/usr/bin/chromedriver") and "/usr/bin/chromedriver") or None
if BROWSER is None and DRIVER is None and not os.environ.get("CI"):
    pytest.skip("neither chromium nor chromedriver is installed (CI installs both)", allow_module_level=True)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver  # the dev extra installs it: an ImportError here is a failure, not a skip
    from selenium.webdriver.chrome.service import Service

    assert BROWSER and DRIVER, f"chromium: {BROWSER}, chromedriver: {DRIVER}"
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="tinygrad_np_chromium_")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1200,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    model, x, y = xor_net()
    loss = F.mse_loss(model(x), y)
    explanation = tg.explain(loss, names={"x": x, "y": y, "loss": loss}, model=model)
    folder = tmp_path_factory.mktemp("explain")
    return {lang: explanation.save_html(folder / f"xor_{lang}.html", lang=lang) for lang in ("en", "ko")}


def visible_steps(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [s.get_attribute("id") for s in driver.find_elements(By.CSS_SELECTOR, "section.step") if s.is_displayed()]


@pytest.mark.parametrize("lang, first, second, last", [
    ("en", "Step 1 of 8", "Step 2 of 8", "Step 8 of 8"),
    ("ko", "8단계 중 1단계", "8단계 중 2단계", "8단계 중 8단계"),
])
def test_arrow_keys_and_buttons_step_through_the_page(browser, pages, lang, first, second, last):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get_log("browser")  # start with an empty console log
    browser.get("file://" + os.path.abspath(pages[lang]))
    indicator = browser.find_element(By.ID, "indicator")
    prev, next_ = browser.find_element(By.ID, "prev"), browser.find_element(By.ID, "next")
    body = browser.find_element(By.TAG_NAME, "body")
    assert indicator.text == first and visible_steps(browser) == ["step-1"]
    assert not prev.is_enabled() and next_.is_enabled()
    assert browser.find_element(By.CSS_SELECTOR, "#step-1 svg").is_displayed()  # the picture is there

    body.send_keys(Keys.ARROW_RIGHT)
    assert indicator.text == second and visible_steps(browser) == ["step-2"]
    body.send_keys(Keys.ARROW_LEFT)
    assert indicator.text == first and visible_steps(browser) == ["step-1"]
    body.send_keys(Keys.ARROW_LEFT)  # nothing before the first step
    assert indicator.text == first

    next_.click()
    assert indicator.text == second and prev.is_enabled()
    prev.click()
    assert indicator.text == first
    for _ in range(10):  # past the end it stays on the last step
        body.send_keys(Keys.ARROW_RIGHT)
    assert indicator.text == last and visible_steps(browser) == ["step-8"] and not next_.is_enabled()
    assert "LinearFn" in browser.find_element(By.CSS_SELECTOR, "#step-8 h2").text

    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert not errors, errors
