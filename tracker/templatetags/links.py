"""Links to addresses outside the site: only web addresses become links."""

from django import template

from tracker.models.base import is_web_address
from tracker.safe_html import format_html

register = template.Library()


@register.filter
def external_link(url):
    """The address as a link when it is http(s), else as plain (escaped) text.

    The models store nothing else, but a page must not turn a javascript: or data: address
    that got into the database some other way into a link that runs it.
    """
    if not is_web_address(url):
        return url
    return format_html('<a href="{}" rel="noopener noreferrer nofollow">{}</a>', url, url)
