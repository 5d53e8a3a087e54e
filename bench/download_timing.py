"""Time whole answers in process: exports, feeds, API pages, admin pages.

Each address is requested through Django's test client with the page cache off and every
cache emptied first; the answer (streamed or not) is read to its end. For each it prints the
status, the size, the wall and CPU time, a digest of the bytes (to check that two versions
of the code write the same thing) and the process's peak memory so far. CPU time moves less
than wall time on a shared machine; neither is comparable across runs, so time the old and
the new code one after the other, on copies of the same database.

With --staff the client is logged in as a superuser `download-timing` (created if missing:
run it on a copy), for admin pages.

With --after-case-save the caches are kept, each address is requested once first, and then
before each timed request a case's summary is saved in a transaction, as an editor's save in
the admin does: what a reader meets after an edit of text (the parts it left kept, the
others drawn again). It writes to the database: run it on a copy.

Run from the repository root on a copy of the synthetic database:
    SECRET_KEY=$(cat .secret_key) DATABASE_URL=sqlite:////tmp/copy.sqlite3 \\
        .venv/bin/python bench/download_timing.py '/people/?format=json' '/cases/?format=atom'
"""

import argparse
import hashlib
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The test settings: static files without `collectstatic`.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ["PAGE_CACHE"] = "0"

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402

from tracker.models import Case  # noqa: E402


def download(client, address, before=None):
    """(status, bytes, wall seconds, CPU seconds, digest) of one answer, read to its end,
    every cache emptied first, or `before()` called first instead."""
    if before is None:
        for cache in caches.all():
            cache.clear()
    else:
        before()
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get(address)
    digest, size = hashlib.sha256(), 0
    for piece in response.streaming_content if response.streaming else [response.content]:
        digest.update(piece)
        size += len(piece)
    return (
        response.status_code,
        size,
        time.perf_counter() - wall,
        time.process_time() - cpu,
        digest.hexdigest()[:12],
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("addresses", nargs="+")
    parser.add_argument("--staff", action="store_true", help="logged in as a superuser")
    parser.add_argument(
        "--after-case-save", action="store_true", help="caches kept; a case saved before each"
    )
    options = parser.parse_args()
    client = Client(HTTP_HOST="localhost", raise_request_exception=True)
    if options.staff:
        user, _ = get_user_model().objects.get_or_create(
            username="download-timing", defaults={"is_staff": True, "is_superuser": True}
        )
        client.force_login(user)
    client.get("/")  # the first request of a process loads what every other one uses
    before = None
    if options.after_case_save:
        for address in options.addresses:
            download(client, address, before=lambda: None)
        before = save_a_case(random.Random(14))  # noqa: S311 (which cases, not secrets)
    print(f"{'address':50} status       MB   wall s    CPU s  sha256        peak MB")
    for address in options.addresses:
        status, size, wall, cpu, digest = download(client, address, before)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{address:50} {status:6} {size / 1e6:8.1f} {wall:8.3f} {cpu:8.3f}  {digest}  "
            f"{peak:7.0f}"
        )


def save_a_case(rng):
    """A function that saves a random published case with its summary changed, in a
    transaction."""
    pks = list(Case.objects.published().values_list("pk", flat=True)[:1000])

    def save():
        with transaction.atomic():
            case = Case.objects.get(pk=rng.choice(pks))
            case.summary += " (edited)"
            case.save()

    return save


if __name__ == "__main__":
    main()
