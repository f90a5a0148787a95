from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from inminban.common.errors import DomainError
from inminban.synth.bulk import DEFAULT_CITY_CODE, CityExists, analyze_registry, generate_city

PHASES = {
    "units": "units",
    "households": "households, dwellings, stamps",
    "persons": "persons, memberships, jobs",
    "indexes": "indexes and constraints",
    "commit": "committing",
}


class Command(BaseCommand):
    help = (
        "Add a synthetic city of districts, units (20–30 households each), dwellings, households and persons, and "
        "the stamps of two labour campaigns, computed on the database server and recorded as one audit entry."
    )

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, required=True, help="How many households to create.")
        parser.add_argument("--units-per-district", type=int, default=50)
        parser.add_argument("--seed", type=int, default=2008, help="The same seed and city give the same people.")
        parser.add_argument(
            "--city", default=DEFAULT_CITY_CODE, help=f"Code of the new city (default {DEFAULT_CITY_CODE})."
        )
        parser.add_argument(
            "--actor",
            default=None,
            help="Username recorded in the audit entry and as the campaigns' creator (default: the system; "
            "campaigns are then created by the inactive user 'synth').",
        )
        parser.add_argument("--no-duties", action="store_true", help="No campaigns and no stamps.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (for logs and scripts).")
        parser.add_argument(
            "--foreign-keys",
            choices=["now", "later", "auto"],
            default="auto",
            help="PostgreSQL: check the loaded rows against their foreign keys before the commit (now), or in a "
            "background job after it (later; the keys are enforced for new rows at once). auto: later from "
            "1,000,000 households.",
        )

    def handle(
        self, *args, households, units_per_district, seed, city, actor, no_duties, no_progress, foreign_keys, **options
    ):
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

        def phase(name: str) -> None:
            if not progress.live.is_started:  # shown from the first rows on, so bad input prints only the error
                progress.start()
            progress.update(task, description=f"{city}: {PHASES.get(name, name)}")

        try:
            result = generate_city(
                households=households,
                city=city,
                units_per_district=units_per_district,
                seed=seed,
                actor=user,
                duties=not no_duties,
                foreign_keys_later={"now": False, "later": True, "auto": None}[foreign_keys],
                progress=lambda done: progress.advance(task, done),
                on_phase=phase,
            )
        except CityExists as exists:
            if progress.live.is_started:
                progress.stop()
            self.stdout.write(exists.message)
            return
        except DomainError as error:
            raise CommandError(f"--{error.field.replace('_', '-')}: {error.message}") from error
        finally:
            if progress.live.is_started:
                progress.stop()
        analyze_registry()
        counts, city = result.counts, result.city
        self.stdout.write(
            f"City {city.code} ({city.name_ko}): {counts['districts']:,} districts, {counts['units']:,} units, "
            f"{counts['households']:,} households, {counts['persons']:,} persons, "
            f"{counts['occupations']:,} occupations, {counts['stamps']:,} stamps of {counts['campaigns']} campaigns "
            f"in {result.seconds:.1f} s ({result.households_per_second:,.0f} households/s, "
            f"{result.persons_per_second:,.0f} persons/s)."
        )
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.write_seconds.items())
        self.stdout.write(f"Parts: {parts}; indexes rebuilt: {'yes' if result.rebuilt_indexes else 'no'}.")
        if result.foreign_keys_later:
            self.stdout.write(
                f"{len(result.foreign_keys_later)} foreign keys are enforced for new rows and are checking the loaded "
                f"rows in background job {result.validation_job_id} (run by `inminban serve`, `inminban worker` or "
                "`inminban tick`; `inminban jobs` shows its progress)."
            )
