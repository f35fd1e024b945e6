"""Drives kgrep serve's page in headless Chromium: type a query, see the
rows, click a fact, see its sentence with the span marked.

Usage: python3 page.py URL. Exit status 0 when every step worked."""

import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

url = sys.argv[1]
options = webdriver.ChromeOptions()
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
    options.add_argument(argument)
options.binary_location = "/usr/bin/chromium"
# The system's driver: selenium-manager must not download one.
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    driver.set_page_load_timeout(20)
    driver.get(url)
    wait = WebDriverWait(driver, 15)
    box = wait.until(seen.presence_of_element_located((By.ID, "query")))
    box.clear()
    box.send_keys("SELECT ?team ?p ?hospital WHERE { ?team ?p ?hospital . FILTER(?p = ex:deployedTo) }")
    driver.find_element(By.ID, "run").click()
    row = wait.until(seen.presence_of_element_located((By.CSS_SELECTOR, "#results tbody tr")))
    cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
    assert cells == ["team:辽宁医疗队", "ex:deployedTo", "hospital:雷神山医院"], cells
    row.click()
    mark = wait.until(seen.presence_of_element_located((By.CSS_SELECTOR, "#provenance .sentence mark")))
    sentence = driver.find_element(By.CSS_SELECTOR, "#provenance .sentence").text
    marked = mark.text
    assert marked.startswith("辽宁医疗队") and "雷神山医院" in marked, marked
    assert len(sentence) > len(marked), sentence
    where = driver.find_element(By.CSS_SELECTOR, "#provenance .match div").text
    assert "rule deployed" in where, where
    # A syntax error is shown, not swallowed.
    box.clear()
    box.send_keys("SELEKT nothing")
    driver.find_element(By.ID, "run").click()
    error = wait.until(lambda d: d.find_element(By.ID, "error").text)
    assert "syntax" in error, error
    print("page ok:", cells, "|", marked, "|", where)
finally:
    driver.quit()
