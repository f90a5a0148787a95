from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from inminban.common.errors import DomainError
from inminban.synth.bulk import DEFAULT_CITY_CODE, analyze_registry, generate_city


class Command(BaseCommand):
    help = (
        "Add a synthetic city of districts, units (20–30 households each), dwellings, households and persons, "
        "written in bulk (COPY on PostgreSQL) and recorded as one audit entry."
    )

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, required=True, help="How many households to create.")
        parser.add_argument("--units-per-district", type=int, default=50)
        parser.add_argument("--seed", type=int, default=2008, help="The same seed and city give the same people.")
        parser.add_argument(
            "--city", default=DEFAULT_CITY_CODE, help=f"Code of the new city (default {DEFAULT_CITY_CODE})."
        )
        parser.add_argument("--actor", default=None, help="Username recorded in the audit entry (default: system).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (for logs and scripts).")

    def handle(self, *args, households, units_per_district, seed, city, actor, no_progress, **options):
        user = None
        if actor:
            user = User.objects.filter(username=actor).first()
            if user is None:
                raise CommandError(f"No user named {actor!r}.")
        progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("households"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            disable=no_progress,
        )
        task = progress.add_task(f"Generating {city}", total=households)

        def advance(done: int) -> None:
            if not progress.live.is_started:  # shown from the first chunk on, so bad input prints only the error
                progress.start()
            progress.advance(task, done)
            if progress.tasks[0].finished:  # PostgreSQL checks every foreign key at commit: say so
                progress.update(task, description=f"Committing {city}")

        try:
            result = generate_city(
                households=households,
                city=city,
                units_per_district=units_per_district,
                seed=seed,
                actor=user,
                progress=advance,
            )
        except DomainError as error:
            raise CommandError(f"--{error.field.replace('_', '-')}: {error.message}") from error
        finally:
            if progress.live.is_started:
                progress.stop()
        analyze_registry()
        counts, city = result.counts, result.city
        self.stdout.write(
            f"City {city.code} ({city.name_ko}): {counts['districts']} districts, {counts['units']} units, "
            f"{counts['households']} households, {counts['persons']} persons, {counts['occupations']} occupations "
            f"in {result.seconds:.1f} s ({result.households_per_second:,.0f} households/s)."
        )
