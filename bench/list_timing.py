"""In-process render time of the public lists over random filters, sorts and pages.

For each list (/cases/, /organisations/, /people/, /laws/, /sources/, /designations/) it
draws --count random addresses: each filter of the list's FilterSet set or not (a choice from
its own choices, a published law, a year), a sort, a page from 1 to 20. Every address is
requested through Django's test client with the page cache off, after a few others to warm
up, --repeat times (a repeat finds the list's count kept); it prints the median per list.
With --profile FILE it writes a cProfile of the timed requests (`python -m pstats FILE`).

Run from the repository root on a copy of the synthetic database:
    SECRET_KEY=$(cat .secret_key) DATABASE_URL=sqlite:////tmp/copy.sqlite3 \\
        .venv/bin/python bench/list_timing.py [--count 30] [--repeat 3] [--lists cases,laws]
"""

import argparse
import cProfile
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The test settings: static files without `collectstatic`.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ["PAGE_CACHE"] = "0"

import django  # noqa: E402

django.setup()

import django_filters  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import resolve  # noqa: E402

from tracker.filters import YearFilter  # noqa: E402
from tracker.models import Law  # noqa: E402

LISTS = ["cases", "organisations", "people", "laws", "sources", "designations"]


def random_params(filterset_class, laws, rng):
    params = {}
    fields = filterset_class().form.fields
    for name, filter_ in filterset_class.base_filters.items():
        if rng.random() < 0.6:
            continue
        if name == "law":
            params[name] = rng.choice(laws)
        elif isinstance(filter_, YearFilter):
            params[name] = rng.randint(2000, 2025)
        elif isinstance(filter_, django_filters.ChoiceFilter) and name in fields:
            values = [value for value, _label in fields[name].choices if value]
            params[name] = rng.choice(values)
    params["page"] = rng.randint(1, 20)
    return params


def addresses(name, count, laws, rng):
    path = f"/{name}/"
    filterset_class = resolve(path).func.view_class.filterset_class
    return [f"{path}?{urlencode(random_params(filterset_class, laws, rng))}" for _ in range(count)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lists", default=",".join(LISTS))
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--profile")
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311 - a repeatable draw of addresses
    laws = list(Law.objects.published().values_list("slug", flat=True))
    client = Client(HTTP_HOST="localhost")
    profiler = cProfile.Profile() if args.profile else None
    for name in args.lists.split(","):
        # Warm up (templates, translations, the filter form's selects) on other addresses:
        # the timed ones are new, as most of a reader's are.
        for url in addresses(name, 5, laws, rng):
            assert client.get(url).status_code == 200, url
        urls = addresses(name, args.count, laws, rng)
        times = []
        for _ in range(args.repeat):
            for url in urls:
                start = time.perf_counter()
                if profiler:
                    profiler.enable()
                client.get(url)
                if profiler:
                    profiler.disable()
                times.append((time.perf_counter() - start) * 1000)
        print(f"/{name}/: median {statistics.median(times):.1f} ms over {len(times)} requests")
    if profiler:
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
