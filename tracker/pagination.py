"""Pagination that never counts more rows than a reader could page through."""

import hashlib

from django.conf import settings
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from tracker.caching import cached_fragment


class CappedPaginator(Paginator):
    """Counts at most `cap` rows (one bounded COUNT), and says so when there are more.

    Counting every match of a broad filter over 100,000 cases costs more than the
    page itself, and nobody pages past the 10,000th row: the exports give everything.
    """

    cap = settings.LIST_COUNT_CAP

    def __init__(self, *args, count_key=None, **kwargs):
        """`count_key` names what is counted (the list and its filters): the count is then
        kept while what it reads is unchanged, so paging through a list counts it once."""
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    @cached_property
    def _bounded_count(self):
        if self.count_key is None:
            return self._count_rows()
        digest = hashlib.sha256(self.count_key.encode()).hexdigest()[:32]
        # Valid while the tables the count reads (the list's and its filters') are unchanged.
        model = self.object_list.model
        return cached_fragment(f"list-count:{digest}", (model,), self._count_rows)

    def _count_rows(self):
        # Only the ids, unordered: annotations and sorting are for the rows shown, not the count.
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @cached_property
    def count(self):
        return min(self._bounded_count, self.cap)

    @property
    def capped(self):
        return self._bounded_count > self.cap
