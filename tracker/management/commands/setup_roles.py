from django.core.management.base import BaseCommand

from tracker.roles import ensure_roles


class Command(BaseCommand):
    help = (
        "Create the Editor and Publisher groups with exactly their permissions, or put them "
        "right. Safe to run any number of times (migrate runs it too)."
    )

    def handle(self, *args, **options):
        for role, count in ensure_roles().items():
            self.stdout.write(f"{role}: {count} permissions")
