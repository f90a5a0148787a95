from django.core.management import call_command
from django.core.management.base import BaseCommand

from inminban.synth.demo import CAST, CAST_DISTRIBUTION, DEMO_PASSWORD, build_demo, demo_exists
from inminban.synth.demo_distribution import build_demo_distribution
from inminban.synth.demo_duties import build_demo_duties
from inminban.synth.demo_entitlements import build_demo_entitlements
from inminban.synth.demo_governance import CAST_GOVERNANCE, build_demo_governance
from inminban.synth.demo_integrity import build_demo_integrity


class Command(BaseCommand):
    help = "Create the demo city (idempotent) with one account per role, print the logins, then serve it."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Prepare the demo data and stop.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, no_serve, host, port, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if demo_exists():
            self.stdout.write("The demo district is already in place; nothing added.")
        else:
            self.stdout.write("Creating the demo district (2 districts, 12 units, 300 households)…")
            build_demo()
        # Duties are added separately so a demo from an earlier version gains them too (idempotent).
        if build_demo_duties(build_demo()):
            self.stdout.write("Added the demo directive, campaigns, levy and stamps.")
        if build_demo_entitlements(build_demo()):
            self.stdout.write("Added the demo ration and leader-benefit programs, with an approved cycle.")
        if build_demo_distribution(build_demo()):
            self.stdout.write("Added the demo counter with its clerk, a school clerk, clearances and an appeal.")
        if build_demo_governance(build_demo()):
            self.stdout.write("Added the demo nominations in unit A2 (one rejected, one approved) and a petition.")
        if build_demo_integrity(build_demo()):
            self.stdout.write(
                "Added the demo stays in unit A1 (one on time, one late), a fever check that found an unregistered "
                "guest, a stamp the leader gave their own household, and the integrity flags they raise."
            )
        self.stdout.write("")
        self.stdout.write(f"Open http://{host}:{port}/ and log in with one of these (password: {DEMO_PASSWORD}):")
        for username, role in zip(
            CAST + CAST_DISTRIBUTION + CAST_GOVERNANCE,
            [
                "administrator",
                "officer, city committee (petitions that go up from the districts)",
                "officer, district A office",
                "second officer, district A office (approves cycles)",
                "officer, district B office",
                "leader of unit A1",
                "leader of unit B1",
                "resident in unit A1",
                "auditor of the city",
                "health worker, district A (fever checks)",
                "health worker, district B",
                "counter clerk, district A distribution centre",
                "school clerk, district A",
                "resident of unit A2, approved by the unit as its leader from tomorrow",
                "resident of unit A2 (voted online; signed the petition)",
                "resident of unit A3 (signed the petition)",
            ],
            strict=True,
        ):
            self.stdout.write(f"  {username:<13} {role}")
        if not no_serve:
            call_command("serve", host=host, port=port)
