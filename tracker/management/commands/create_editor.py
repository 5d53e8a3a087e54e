"""Create an editor's (or publisher's) admin account from the command line."""

import getpass
import sys

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker.roles import EDITOR, PUBLISHER, ensure_roles


class Command(BaseCommand):
    help = (
        "Create a staff account in the Editor group (or Publisher with --publisher). The "
        "password is asked for twice, or read from standard input with --password-stdin, "
        "and must pass the password validators (12 characters at least). With --totp, also "
        "enrols an authenticator app for the second factor (ADMIN_REQUIRE_OTP)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--publisher", action="store_true", help="may also publish, withdraw and delete"
        )
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin"
        )
        parser.add_argument(
            "--totp",
            action="store_true",
            help="create a TOTP device and print its otpauth:// URI for the authenticator app",
        )

    def handle(self, *args, **options):
        User = get_user_model()
        username = options["username"].strip()
        if not username:
            raise CommandError("Give a username.")
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"There is already an account named {username!r}.")
        password = self.read_password(options["password_stdin"])
        user = User(username=username, email=options["email"], is_staff=True)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        role = PUBLISHER if options["publisher"] else EDITOR
        with transaction.atomic():
            ensure_roles()
            user.set_password(password)
            user.full_clean(exclude=["password"])
            user.save()
            user.groups.add(Group.objects.get(name=role))
            device = None
            if options["totp"]:
                device = TOTPDevice.objects.create(
                    user=user, name="Authenticator app", confirmed=True
                )
        self.stdout.write(self.style.SUCCESS(f"Created {username!r} ({role})."))
        if device:
            # The URI holds the shared secret: it belongs in the editor's app and nowhere else.
            self.stdout.write("Enter this in the authenticator app, then clear the screen:")
            self.stdout.write(device.config_url)

    def read_password(self, from_stdin):
        if from_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        if not password:
            raise CommandError("The password is empty.")
        return password
