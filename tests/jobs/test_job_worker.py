"""`inminban worker` stops on SIGTERM after finishing the job in hand; `inminban serve` runs jobs in a thread
unless --no-worker."""

import signal
import socket
import time
import urllib.request

from inminban.jobs.models import Job
from inminban.jobs.services import job_enqueue

from .conftest import COMMITTED, finish, start, wait_until

pytestmark = COMMITTED


def test_sigterm_lets_the_worker_finish_the_job_in_hand(processes):
    job = job_enqueue(kind="jobs.sleep", params={"seconds": 2, "steps": 4})
    later = job_enqueue(kind="jobs.sleep", params={"seconds": 0})
    worker = start("worker", "--interval", "0.2")
    processes.append(worker)
    wait_until(lambda: Job.objects.get(pk=job.pk).progress_done >= 1)
    worker.send_signal(signal.SIGTERM)
    assert "stopped after 1 job" in finish(worker, timeout=60)
    job.refresh_from_db()
    later.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.DONE, 1)
    assert later.status == Job.Status.QUEUED  # nothing new was started after the signal


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_serve_runs_background_jobs_in_a_thread(processes):
    job = job_enqueue(kind="jobs.sleep", params={"seconds": 0})
    port = _free_port()
    processes.append(start("serve", "--port", str(port)))
    wait_until(lambda: Job.objects.get(pk=job.pk).status == Job.Status.DONE, timeout=60)
    assert Job.objects.get(pk=job.pk).lease_owner.endswith(":serve")


def test_serve_with_no_worker_leaves_jobs_alone(processes):
    job = job_enqueue(kind="jobs.sleep", params={"seconds": 0})
    port = _free_port()
    processes.append(start("serve", "--port", str(port), "--no-worker"))
    wait_until(lambda: _serving(port), timeout=60)
    time.sleep(3)  # longer than the worker thread's 2 s tick
    assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED
