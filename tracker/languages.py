"""The site's languages: one rule for the tag a page, feed or link declares."""


def primary_language(code):
    """The primary language subtag of a Django language code ("en-gb" -> "en"): the tag
    for lang, hreflang and xml:lang. The site has one version per language; British
    spelling is not a version for British readers only."""
    return code.split("-")[0]
