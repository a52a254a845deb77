"""The example plugins in plugins/ and a freshly scaffolded one install as packages and pass
their own tests, which run a real daemon that finds them through the ``habitd`` entry-point
group."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Env

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def install_and_test(package: Path, tmp_path: Path) -> str:
    """Install ``package`` (no downloads) into a folder put on PYTHONPATH, run its tests."""
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(package),
        ],
        check=True,
        capture_output=True,
    )
    assert list(site.glob("*.dist-info/entry_points.txt"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests")],
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize("package", ["habitd-halt", "habitd-activities"])
def test_example_plugin_installs_and_passes_its_tests(package: str, tmp_path: Path) -> None:
    assert " passed" in install_and_test(ROOT / "plugins" / package, tmp_path)


def test_a_scaffolded_plugin_passes_its_own_test(env: Env, tmp_path: Path) -> None:
    result = env.ok("plugin", "new", "hydrate", "--dir", str(tmp_path))
    package = tmp_path / "habitd-hydrate"
    assert f"wrote {package / 'pyproject.toml'}" in result.out
    assert (package / "habitd_hydrate" / "__init__.py").exists()
    assert "1 passed" in install_and_test(package, tmp_path)
    again = env.cli("plugin", "new", "hydrate", "--dir", str(tmp_path))
    assert again.rc == 1 and "already exists" in again.err
    bad = env.cli("plugin", "new", "Bad Name", "--dir", str(tmp_path))
    assert bad.rc == 1 and "lowercase letters" in bad.err
