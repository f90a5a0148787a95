"""The login protection's settings come from the environment (README, configuration)."""

import json
import os
import subprocess
import sys
from pathlib import Path

INMINBAN = Path(sys.executable).parent / "inminban"
SHOW = (
    "import json; from django.conf import settings as s; print(json.dumps([s.SESSION_COOKIE_AGE, "
    "s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds(), s.TOKEN_LIFETIME_DAYS, s.WEB_LOCK_WAIT_MS]))"
)


def _settings(tmp_path, **env) -> list:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("INMINBAN_")}
    environment |= {"INMINBAN_DATA_DIR": str(tmp_path), **env}
    done = subprocess.run(
        [str(INMINBAN), "shell", "-c", SHOW], env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_defaults(tmp_path):
    assert _settings(tmp_path) == [30 * 60, 10, 15 * 60, 90, 2000]


def test_each_is_set_by_its_variable(tmp_path):
    assert _settings(
        tmp_path,
        INMINBAN_SESSION_IDLE_MINUTES="5",
        INMINBAN_LOGIN_FAILURE_LIMIT="30",
        INMINBAN_LOGIN_LOCKOUT_MINUTES="60",
        INMINBAN_TOKEN_LIFETIME_DAYS="7",
        INMINBAN_LOCK_WAIT_MS="500",
    ) == [5 * 60, 30, 60 * 60, 7, 500]
