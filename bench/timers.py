"""Timers for the benchmark scripts."""

import time


class Outermost:
    """The time spent inside `cls.method` in the block, timed around its outermost calls (a
    subquery's compiling is counted within its query's, an included template's within the
    page's); `within`: of that, the time spent while another Outermost was inside its own."""

    def __init__(self, cls, method, within=None):
        self.cls, self.method, self.within = cls, method, within
        self.depth = 0

    def __enter__(self):
        self.seconds = self.seconds_within = 0.0
        self.own = self.method in vars(self.cls)  # else inherited: put back by deleting ours
        original = self.original = getattr(self.cls, self.method)

        def timed(*args, **kwargs):
            if self.depth:
                return original(*args, **kwargs)
            self.depth += 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                self.seconds += spent
                if self.within is not None and self.within.depth:
                    self.seconds_within += spent
                self.depth -= 1

        setattr(self.cls, self.method, timed)
        return self

    def __exit__(self, *exc):
        if self.own:
            setattr(self.cls, self.method, self.original)
        else:
            delattr(self.cls, self.method)
