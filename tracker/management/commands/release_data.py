"""Write a versioned bulk release of the whole public record (served at /data/)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker import bulk, release_shapes


class Command(BaseCommand):
    help = (
        "Write every public record as JSON Lines and CSV, the changes since the previous "
        "release, a data dictionary, the licence, FollowTheMoney entities and a manifest "
        "with SHA-256 checksums into DIR/<YYYY-MM-DD>[-n]/ (DIR: DATA_RELEASES_DIR)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", help="the releases directory (default: DATA_RELEASES_DIR)")

    def handle(self, *args, **options):
        started = time.perf_counter()
        root = options["dir"] or bulk.releases_dir()
        if not settings.SITE_URL:
            self.stderr.write(
                f"SITE_URL is not set: records' urls start with {release_shapes.site_url()}."
            )
        try:
            manifest = bulk.write_release(root, stdout=self.stdout)
        except (bulk.ReleaseError, OSError) as error:
            raise CommandError(f"No release written: {error}") from error
        elapsed = time.perf_counter() - started
        for entry in manifest["files"]:
            self.stdout.write(
                f"  {entry['name']}: {entry['size']:,} bytes, sha256 {entry['sha256']}"
            )
        delta = ", ".join(f"{count} {change}" for change, count in manifest["delta"].items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Release {manifest['name']} written to {root}: "
                f"{sum(manifest['counts'].values())} records ({delta} since "
                f"{manifest['previous'] or 'no earlier release'}) in {elapsed:.1f} s."
            )
        )
