"""/data/: the bulk releases, their manifests and files (written by `manage.py release_data`).

Not behind the page cache: releases change without the record's data version changing.
Only files a release's manifest lists are served, by name; nothing else on disk is reachable.
"""

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from tracker import bulk

# Releases listed with their whole manifest; older ones are listed by name only.
RELEASES_SHOWN = 10
# A release's files never change once written: browsers and proxies may keep them a day.
FILE_CACHE_SECONDS = 60 * 60 * 24
LATEST = "latest"


@require_safe
@cache_control(public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
def data_index(request):
    """The releases, newest first, with counts, files, sizes and checksums."""
    names = bulk.list_releases()
    releases = []
    for name in names[:RELEASES_SHOWN]:
        manifest = bulk.read_manifest(name)
        if manifest is not None:
            releases.append(manifest)
    return render(
        request,
        "tracker/data.html",
        {
            "releases": releases,
            "older": names[RELEASES_SHOWN:],
            "licence_id": bulk.LICENCE_ID,
            "licence_url": bulk.LICENCE_URL,
            "licence_text": bulk.LICENCE_TEXT,
            "dictionary": bulk.DICTIONARY,
            "latest": LATEST,
        },
    )


@require_safe
def data_file(request, release, name):
    """One file of a release, as a download; /data/latest/<file> redirects to the newest."""
    if release == LATEST:
        names = bulk.list_releases()
        if not names or bulk.release_file(names[0], name) is None:
            raise Http404("No such file in the latest release.")
        response = redirect("tracker:data-file", release=names[0], name=name)
        response["Cache-Control"] = f"public, max-age={settings.PUBLIC_CACHE_SECONDS}"
        return response
    path = bulk.release_file(release, name)
    if path is None:
        raise Http404("No such release or file.")
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115 (FileResponse closes it)
        as_attachment=True,
        filename=name,
        content_type=bulk.content_type(name),
    )
    response["Cache-Control"] = f"public, max-age={FILE_CACHE_SECONDS}"
    return response
