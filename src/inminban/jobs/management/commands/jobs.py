import json

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from inminban.common.errors import DomainError, NotVisible
from inminban.jobs import selectors, services
from inminban.jobs.models import Job


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _json(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)


class Command(BaseCommand):
    help = (
        "Background jobs: `jobs` lists the recent ones with status and progress; `jobs show ID`; `jobs retry ID` "
        "queues a failed job again; `jobs enqueue KIND --params JSON`; `jobs schedules` lists periodic work."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=50, help="How many recent jobs to list.")
        parser.add_argument("--status", choices=Job.Status.values)
        parser.add_argument("--kind")
        actions = parser.add_subparsers(dest="action")
        show = actions.add_parser("show", help="Everything about one job.")
        show.add_argument("job_id", type=int)
        retry = actions.add_parser("retry", help="Queue a failed job again.")
        retry.add_argument("job_id", type=int)
        enqueue = actions.add_parser("enqueue", help="Queue a job by hand (e.g. jobs.sleep).")
        enqueue.add_argument("kind")
        enqueue.add_argument("--params", default="{}", help='JSON object, e.g. \'{"seconds": 5, "steps": 5}\'.')
        enqueue.add_argument("--dedupe-key")
        actions.add_parser("schedules", help="Periodic work and when it runs next.")

    def handle(self, *args, action=None, **options):
        try:
            return getattr(self, f"handle_{action or 'list'}")(**options)
        except NotVisible as error:
            raise CommandError(str(error)) from None
        except DomainError as error:
            raise CommandError(f"{error.field}: {error.message}") from None

    def handle_list(self, *, limit, status, kind, **options):
        jobs = selectors.jobs_recent(limit, kind=kind, status=status)
        self.stdout.write(f"{'ID':>6}  {'KIND':<24} {'STATUS':<8} {'DONE':>4}  {'TRIES':>5}  {'CREATED':<19}  MESSAGE")
        for job in jobs:
            self.stdout.write(
                f"{job.pk:>6}  {job.kind:<24} {job.status:<8} {job.percent:>3}%  "
                f"{job.attempts:>2}/{job.max_attempts:<2}  {_when(job.created_at):<19}  {job.message}"
            )

    def handle_show(self, *, job_id, **options):
        job = selectors.job_get(job_id)
        lines = [
            ("job", job.pk),
            ("kind", job.kind),
            ("status", job.status),
            ("progress", f"{job.progress_done:,} of {job.progress_total:,} ({job.percent}%) {job.message}".strip()),
            ("attempts", f"{job.attempts} of {job.max_attempts}"),
            ("params", _json(job.params)),
            ("result", _json(job.result)),
            ("error", job.error or "-"),
            ("dedupe key", job.dedupe_key or "-"),
            ("created", f"{_when(job.created_at)} by {job.created_by.username if job.created_by else 'the system'}"),
            ("run after", _when(job.run_after)),
            ("started", _when(job.started_at)),
            ("finished", _when(job.finished_at)),
            ("lease", f"{job.lease_owner or '-'} until {_when(job.lease_until)}"),
        ]
        for label, value in lines:
            self.stdout.write(f"{label:>10}: {value}")

    def handle_retry(self, *, job_id, **options):
        job = services.job_retry(job=selectors.job_get(job_id))
        self.stdout.write(f"Job {job.pk} ({job.kind}) is queued again.")

    def handle_enqueue(self, *, kind, params, dedupe_key, **options):
        try:
            params = json.loads(params)
        except json.JSONDecodeError as error:
            raise CommandError(f"params: not JSON ({error}).") from None
        job = services.job_enqueue(kind=kind, params=params, dedupe_key=dedupe_key)
        self.stdout.write(f"Job {job.pk} ({job.kind}) is {job.status}.")

    def handle_schedules(self, **options):
        self.stdout.write(f"{'KIND':<28} {'EVERY':>9}  {'NEXT RUN':<19}  ENABLED")
        for schedule in selectors.schedules_all():
            self.stdout.write(
                f"{schedule.kind:<28} {schedule.interval_seconds:>7} s  {_when(schedule.next_run_at):<19}  "
                f"{'yes' if schedule.enabled else 'no'}"
            )
