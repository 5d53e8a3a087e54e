"""Pagination that never counts more rows than a reader could page through."""

from django.conf import settings
from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """Counts at most `cap` rows (one bounded COUNT), and says so when there are more.

    Counting every match of a broad filter over 100,000 cases costs more than the
    page itself, and nobody pages past the 10,000th row: the exports give everything.
    """

    cap = settings.LIST_COUNT_CAP

    @cached_property
    def _bounded_count(self):
        # Only the ids, unordered: annotations and sorting are for the rows shown, not the count.
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @cached_property
    def count(self):
        return min(self._bounded_count, self.cap)

    @property
    def capped(self):
        return self._bounded_count > self.cap
