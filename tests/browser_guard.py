"""In CI the browser tests must run: a session that ran none of tests/browser/ fails, whatever chose the tests
(PYTEST_ARGS, -k, -m, a path) and however they went missing (not collected, deselected, skipped).

Registered by tests/conftest.py; a plugin of its own so that its test can load it into a session of its own."""

import os

import pytest

BROWSER_DIRECTORY = "/browser/"


def in_ci() -> bool:
    """CI=true, as .ci/run sets it (also 1 or yes)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def is_browser_test(nodeid: str) -> bool:
    return BROWSER_DIRECTORY in "/" + nodeid.split("::", 1)[0]


class BrowserTestsRanInCI:
    """Counts the browser tests whose body ran to an end, passed or failed (not skipped, in setup or in the body)."""

    def __init__(self):
        self.ran = 0

    def pytest_runtest_logreport(self, report):
        if report.when == "call" and not report.skipped and is_browser_test(report.nodeid):
            self.ran += 1

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session):
        if not in_ci() or self.ran:
            return
        message = (
            "CI: no browser test ran (tests/browser/). They must run in CI, whatever PYTEST_ARGS selects: "
            "run the whole suite, with Chromium installed (scripts/ensure-test-services)."
        )
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("")
            reporter.write_line(message, red=True, bold=True)
        if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_configure(config):
    config.pluginmanager.register(BrowserTestsRanInCI(), "browser-tests-ran-in-ci")
