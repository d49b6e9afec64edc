"""PDF copies of the report's pages, printed by a headless Chromium (the browser's own print).

The pages carry print styles (A4, one startup card per page), so the PDF is what a person gets from
the browser's Print → Save as PDF. No Python PDF library is needed: a programme office has a
browser, and WeasyPrint needs system libraries (Pango) a server may not have.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from matcher.data.io import atomic_save
from matcher.errors import MatcherError

__all__ = ["find_browser", "print_to_pdf", "BROWSER_NAMES"]

#: Executables tried, in order, when no browser is given (or ``MATCHER_BROWSER`` is unset).
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-pdf-header-footer"]


def find_browser() -> str | None:
    """The Chromium to print with: ``MATCHER_BROWSER``, else the first of :data:`BROWSER_NAMES` found.

    >>> find_browser() is None or Path(find_browser()).name != ""
    True
    """
    named = os.environ.get("MATCHER_BROWSER")
    if named:
        return shutil.which(named) or named
    return next((found for name in BROWSER_NAMES if (found := shutil.which(name))), None)


def print_to_pdf(page: str | os.PathLike, pdf: str | os.PathLike, *, browser: str | None = None,
                 timeout: float = 120.0) -> Path:
    """Print an HTML page to a PDF file (atomically) with headless Chromium; returns the PDF's path.

    Raises
    ------
    MatcherError
        No browser was found, it failed, or it took longer than ``timeout`` seconds.

    Examples
    --------
    >>> import tempfile, matcher
    >>> from matcher.app.report import write_report
    >>> # needs Chromium, so not run by the tests (tests/test_report.py prints the cards)
    >>> with tempfile.TemporaryDirectory() as folder:             # doctest: +SKIP
    ...     write_report(matcher.match_cohort("data/spring-2026"), folder)
    ...     print_to_pdf(f"{folder}/startup-cards.html", f"{folder}/cards.pdf").stat().st_size > 0
    True
    """
    browser = browser or find_browser()
    if browser is None:
        raise MatcherError("no Chromium to print the PDF with: install chromium, or set MATCHER_BROWSER "
                           "to a Chromium or Chrome executable")
    url = Path(page).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="matcher-print-") as profile:
        def save(tmp: str) -> None:
            try:
                command = [browser, *_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={tmp}", url]
                done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise MatcherError(f"printing {Path(page).name} to PDF failed: {exc}") from None
            if done.returncode != 0 or not Path(tmp).stat().st_size:
                raise MatcherError(f"printing {Path(page).name} to PDF failed: {done.stderr.strip()[-500:]}")

        atomic_save(pdf, save)
    return Path(pdf)
