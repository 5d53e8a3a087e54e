"""bench.timers: the time inside a method, counted once however deeply it calls itself."""

import pytest

from bench import timers
from bench.timers import Outermost


class Clock:
    """A perf_counter that moves only when told to."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timers, "time", clock)
    return clock


def make_classes(clock):
    class Compiler:
        def compile(self, depth):
            clock.now += 1  # a second of its own at every level
            return self.compile(depth - 1) if depth else "sql"

    class Page:
        def draw(self, compiler):
            clock.now += 10
            return compiler.compile(2)  # three seconds of compiling while drawing

    class Base:
        def run(self):
            clock.now += 5

    class Child(Base):
        pass

    return Compiler, Page, Base, Child


def test_a_method_that_calls_itself_is_timed_once_around_its_outermost_call(clock):
    Compiler, *_ = make_classes(clock)
    with Outermost(Compiler, "compile") as compiled:
        assert Compiler().compile(3) == "sql"  # four levels: four seconds, not 4 + 3 + 2 + 1
        Compiler().compile(0)
    assert compiled.seconds == 5


def test_the_time_spent_within_another_timer_is_told_apart(clock):
    Compiler, Page, *_ = make_classes(clock)
    drawn = Outermost(Page, "draw")
    with Outermost(Compiler, "compile", within=drawn) as compiled, drawn:
        Page().draw(Compiler())  # 10 s drawing, 3 s of it compiling
        Compiler().compile(1)  # 2 s compiling, not while drawing
    assert (drawn.seconds, compiled.seconds, compiled.seconds_within) == (13, 5, 3)


def test_the_method_is_put_back_as_it_was(clock):
    Compiler, _, Base, Child = make_classes(clock)
    compile_before = Compiler.compile
    with pytest.raises(RuntimeError), Outermost(Compiler, "compile"):
        raise RuntimeError
    assert Compiler.compile is compile_before
    with Outermost(Child, "run") as ran:
        Child().run()
    assert ran.seconds == 5
    assert "run" not in vars(Child)  # inherited before: inherited again, not a copy of Base's
    assert Child.run is Base.run
