"""In-process render times of the home page and of search, without the page cache.

Against the database DATABASE_URL names (e.g. a copy of the 100,000-case synthetic set), it
requests the home page --requests times, then /search/ for as many queries drawn at random
(one or two words) from the names in the search index, through Django's test client with
PAGE_CACHE off, after a few warm-up requests; it prints the median and 90th percentile of
each. The home page's parts (tracker.home) stay in the fragment cache, as between two
readers of the same data version.

Run from the repository root with the project's virtualenv (after `manage.py collectstatic`,
or with DJANGO_SETTINGS_MODULE=tests.settings, which needs no collected static files):
    SECRET_KEY=... DATABASE_URL=sqlite:///copy.sqlite3 .venv/bin/python bench/render_times.py
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(client, url, params=None):
    started = time.perf_counter()
    response = client.get(url, params or {})
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} {params}: {response.status_code}")
    return elapsed


def summary(name, times):
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"{name}: median {statistics.median(times):.1f} ms, p90 {p90:.1f} ms ({len(times)})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    os.environ["PAGE_CACHE"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test import Client

    from tracker.models import SearchEntry

    rng = random.Random(options.seed)  # noqa: S311 (which words to search for, not a secret)
    ids = list(SearchEntry.objects.order_by("id").values_list("id", flat=True))
    words = set()
    for names in SearchEntry.objects.filter(id__in=rng.sample(ids, min(300, len(ids)))).values_list(
        "names", flat=True
    ):
        words.update(word for word in names.split() if len(word) > 3 and not word.isdigit())
    words = sorted(words)
    queries = [" ".join(rng.sample(words, rng.choice([1, 1, 2]))) for _ in range(options.requests)]

    client = Client(HTTP_HOST="localhost")
    for _ in range(3):
        timed(client, "/")
    home = [timed(client, "/") for _ in range(options.requests)]
    for query in queries[:3]:
        timed(client, "/search/", {"q": query})
    search = [timed(client, "/search/", {"q": query}) for query in queries]
    print(summary("home", home))
    print(summary("search", search))


if __name__ == "__main__":
    main()
