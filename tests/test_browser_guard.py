"""With CI=true a pytest session in which no browser test ran fails (tests/browser_guard.py), whatever chose the
tests; outside CI it does not. Each case is a pytest session of its own, in a directory of its own."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
PASSING = "def test_passes():\n    pass\n"
SKIPPED = "import pytest\n\n\ndef test_skipped():\n    pytest.skip('no Chromium')\n"


def _session(tmp_path, files: dict[str, str], *args, ci: str | None = "true"):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    env = {name: value for name, value in os.environ.items() if name not in ("CI", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only the guard: no Django, no schemathesis, and quick
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "browser_guard", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ci_fails_a_session_without_browser_tests(tmp_path):
    result = _session(tmp_path, {"tests/api/test_api.py": PASSING})
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
    assert "CI: no browser test ran (tests/browser/)" in result.stdout
    assert "1 passed" in result.stdout


def test_ci_fails_when_the_browser_tests_are_deselected_or_skipped(tmp_path):
    files = {"tests/api/test_api.py": PASSING, "tests/browser/test_page.py": PASSING}
    assert _session(tmp_path, files, "-k", "not test_page").returncode == pytest.ExitCode.TESTS_FAILED
    assert _session(tmp_path, files, "tests/api").returncode == pytest.ExitCode.TESTS_FAILED
    skipped = _session(tmp_path, {"tests/browser/test_page.py": SKIPPED})
    assert skipped.returncode == pytest.ExitCode.TESTS_FAILED, skipped.stdout


def test_ci_passes_when_a_browser_test_ran(tmp_path):
    result = _session(tmp_path, {"tests/api/test_api.py": PASSING, "tests/browser/test_page.py": PASSING})
    assert result.returncode == pytest.ExitCode.OK, result.stdout
    assert "no browser test ran" not in result.stdout


def test_outside_ci_any_selection_is_fine(tmp_path):
    for ci in (None, "false"):
        result = _session(tmp_path, {"tests/api/test_api.py": PASSING}, ci=ci)
        assert result.returncode == pytest.ExitCode.OK, (ci, result.stdout)
