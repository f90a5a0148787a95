"""What a fresh deployment makes and sends, seen from a new `inminban` process: the data directory and the files in
it for the service's user only, `testserver` not an allowed host, and with INMINBAN_HTTPS=1 HSTS and cookies sent
over HTTPS only."""

import json
import os
import subprocess
import sys
from pathlib import Path

INMINBAN = Path(sys.executable).parent / "inminban"

NAMES = ["inminban.sqlite3", "inminban.sqlite3-wal", "inminban.sqlite3-shm", "secret_key", "keys", "keys/probe.pem"]
# Written while the connection is open, so that the -wal and -shm files are there to look at.
FILES = (
    "import json, os; from django.conf import settings; from django.db import connection; "
    "from inminban.common.keys import load_or_create_private_key; cursor = connection.cursor(); "
    "cursor.execute('CREATE TABLE probe (x)'); cursor.execute('INSERT INTO probe VALUES (1)'); "
    f"load_or_create_private_key('probe'); d = settings.DATA_DIR; names = ['.', *{NAMES!r}]; "
    "print(json.dumps({n: oct(os.stat(d / n).st_mode & 0o777) for n in names}))"
)
REQUEST = (
    "import json; from django.conf import settings; from django.test import Client; "
    "response = Client(HTTP_HOST='localhost').get('/login/', secure=True); "
    "cookie = response.cookies['csrftoken']; "
    "print(json.dumps({'status': response.status_code, 'hsts': response.get('Strict-Transport-Security'), "
    "'csrf_secure': bool(cookie['secure']), 'session_secure': settings.SESSION_COOKIE_SECURE, "
    "'hosts': settings.ALLOWED_HOSTS}))"
)


def _inminban(data_dir: Path, code: str, **env) -> dict:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("INMINBAN_")}
    environment |= {"INMINBAN_DATA_DIR": str(data_dir), **env}
    done = subprocess.run(
        [str(INMINBAN), "shell", "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),  # the usual umask: group and others may read what is not protected
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_data_directory_and_its_files_are_for_the_service_user_only(tmp_path):
    modes = _inminban(tmp_path / "var", FILES)
    assert modes == {
        ".": "0o700",
        "inminban.sqlite3": "0o600",
        "inminban.sqlite3-wal": "0o600",
        "inminban.sqlite3-shm": "0o600",
        "secret_key": "0o600",
        "keys": "0o700",
        "keys/probe.pem": "0o600",
    }


def test_over_https_browsers_are_told_to_stay_on_it_and_cookies_are_secure(tmp_path):
    answer = _inminban(tmp_path / "var", REQUEST, INMINBAN_HTTPS="1")
    assert answer["status"] == 200
    assert answer["hsts"] == "max-age=31536000"
    assert answer["csrf_secure"] and answer["session_secure"]


def test_without_https_there_is_no_hsts_and_testserver_is_not_an_allowed_host(tmp_path):
    answer = _inminban(tmp_path / "var", REQUEST)
    assert answer["status"] == 200
    assert answer["hsts"] is None
    assert not answer["csrf_secure"] and not answer["session_secure"]
    assert answer["hosts"] == ["localhost", "127.0.0.1", "[::1]"]
