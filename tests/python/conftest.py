"""Shared fixtures of the Python package's tests (`pytest tests/python`).

What a test needs and lacks (pyarrow, pyspark, the kgrep binary) skips it
with a note outside CI and fails it in CI, which installs everything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def need(what: str, install: str) -> None:
    """Skip (outside CI) or fail (in CI) because `what` is missing."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must install {what} ({install})")
    pytest.skip(f"{what} missing here; this runs in CI")


def need_module(name: str, install: str):
    try:
        return __import__(name)
    except ImportError:
        need(f"the Python module {name}", install)


@pytest.fixture(scope="session")
def kgrep_bin() -> str:
    """The kgrep command line (KGREP_BIN, else the cargo build in the target directory)."""
    candidates = [os.environ.get("KGREP_BIN")]
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    candidates += [os.path.join(target, "debug", "kgrep"), os.path.join(target, "release", "kgrep")]
    candidates.append(shutil.which("kgrep"))
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK) and _has_store(candidate):
            return candidate
    need("the kgrep binary with the store", "cargo build; or set KGREP_BIN")


def _has_store(binary: str) -> bool:
    run = subprocess.run([binary, "build", "--help"], capture_output=True)
    return run.returncode == 0


def run_kgrep(binary: str, *args: str, stdin: bytes | None = None) -> str:
    completed = subprocess.run(
        [binary, *args],
        input=stdin,
        capture_output=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert completed.returncode == 0, completed.stderr.decode()
    return completed.stdout.decode()


def readme_python_blocks() -> list[str]:
    """The ```python blocks of the README, in order."""
    blocks, current = [], None
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if current is None and line.strip() == "```python":
            current = []
        elif current is not None and line.startswith("```"):
            blocks.append("\n".join(current) + "\n")
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def run_in_clone_dir(tmp_path: Path, code: str) -> None:
    """Runs README code in a fresh directory holding the repository's examples."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    finally:
        os.chdir(cwd)
