from django.core.management.base import BaseCommand, CommandError

from tracker.models import LoginFailure


class Command(BaseCommand):
    help = (
        "Lift the hourly limit on failed logins of these accounts (or of all with --all): forget "
        "their failures of the last hour, from every browser. The (username, address) pause of "
        "django-axes is lifted by axes_reset_username."
    )

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*", metavar="USERNAME")
        parser.add_argument("--all", action="store_true", help="every account")

    def handle(self, *args, usernames, **options):
        if bool(usernames) == options["all"]:
            raise CommandError("Name one or more accounts, or pass --all.")
        failures = LoginFailure.objects.all()
        if usernames:
            failures = failures.filter(username__in=usernames)
        count, _ = failures.delete()
        self.stdout.write(f"{count} failed logins forgotten.")
