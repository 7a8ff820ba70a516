"""The HTML report in a real browser (headless Chromium, Debian package `chromium`): it renders its
tables and images with no console errors; a screenshot is kept in test-artifacts/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=5000",
]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs the Debian package `chromium`")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


@pytest.mark.browser
def test_html_report_renders_in_chromium(cli: Any, write_config: Any, tmp_path: Path) -> None:
    chromium = _chromium()
    out = tmp_path / "run"
    cfg = write_config({"resamplers": ["none", "rus"], "thresholds": ["default"]})
    assert cli("run", cfg, "--output", out, "-q").exit_code == 0
    page = tmp_path / "report" / "report.html"
    assert (
        cli("report", out, "-m", "f1", "-m", "roc_auc", "-f", "html", "--out", page).exit_code == 0
    )
    base = [chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*base, "--dump-dom", page.as_uri()],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    body = re.search(r"<body([^>]*)>", dom.stdout).group(1)
    # 2 metrics x 4 figures, all decoded; every table upgraded to sortable by the page's script
    assert 'data-images-loaded="10"' in body  # 2 metrics x 5 figures
    n_tables = int(re.search(r'data-tables="(\d+)"', body).group(1))
    assert n_tables >= 16 and dom.stdout.count("<table") == n_tables
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    run = subprocess.run(
        [*base, f"--screenshot={shot}", "--window-size=1400,2200", page.as_uri()],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0 and shot.stat().st_size > 20_000
