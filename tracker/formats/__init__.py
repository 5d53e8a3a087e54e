"""Date and time formats that override Django's per language (settings.FORMAT_MODULE_PATH).

Every time the site shows, in public pages and in the admin alike, names its timezone ("T":
"UTC" with TIME_ZONE=UTC), so a reader never has to guess which day a time near midnight is on.
Everything not set here falls through to Django's own formats for the language.
"""
