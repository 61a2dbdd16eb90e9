"""Screenshots of every page of a running console (`make ui`), taken with Debian's headless chromium.

    .venv/bin/python scripts/console_screenshots.py [--url http://127.0.0.1:8501] [--out docs/console]

For example after `make run` and `python -m stack traffic --in-distribution 600` (so the drift page has
scored windows). Playwright drives /usr/bin/chromium (`make chromium`); it never downloads a browser of
its own.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = {"predict": "", "model": "model", "drift": "drift", "pipeline": "pipeline", "service": "service"}
WIDTH = 1400


def settle(page) -> None:
    """Until Streamlit is idle: its "Running..." status widget gone for a moment."""
    status = page.locator('[data-testid="stStatusWidget"]')
    for _ in range(3):
        page.wait_for_timeout(700)
        status.wait_for(state="detached", timeout=120_000)


def shoot(page, url: str, path: Path) -> None:
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    page.goto(url)
    page.locator("h1").first.wait_for(timeout=120_000)
    settle(page)
    if path.stem == "predict":  # one prediction, so the page shows an answer (or the API's problem)
        page.get_by_role("button", name="Predict", exact=True).click()
        page.locator('[data-testid="stMetric"], [data-testid="stAlert"]').first.wait_for(timeout=60_000)
        settle(page)
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 0")
    page.set_viewport_size({"width": WIDTH, "height": min(max(int(height) + 40, 900), 8000)})
    settle(page)
    page.screenshot(path=str(path), full_page=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8501", help="the console (make ui)")
    parser.add_argument("--out", type=Path, default=Path("docs/console"), help="folder for the PNG files")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        for name, path in PAGES.items():
            shoot(page, f"{args.url.rstrip('/')}/{path}", args.out / f"{name}.png")
            print(f"{name}: {args.out / f'{name}.png'}")
        browser.close()


if __name__ == "__main__":
    main()
