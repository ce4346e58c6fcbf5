"""paused_gc: the collector is off inside, back to its previous state after, even on errors."""

from __future__ import annotations

import gc
import threading

import pytest

from webapp.gc_pause import paused_gc


@pytest.fixture(autouse=True)
def _restore_gc():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_off_inside_and_on_again_after():
    gc.enable()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_pauses_keep_it_off_until_the_outer_one_ends():
    gc.enable()
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_restores_the_collector():
    gc.enable()
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("the page failed half way")
    assert gc.isenabled()


def test_a_collector_switched_off_by_someone_else_stays_off():
    gc.disable()
    with paused_gc():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_overlapping_pauses_in_two_threads_end_with_the_collector_on():
    gc.enable()
    first_in, second_done = threading.Event(), threading.Event()
    seen = []

    def first():
        with paused_gc():
            first_in.set()
            second_done.wait(timeout=10)
            seen.append(gc.isenabled())  # the second thread's exit must not re-enable it

    def second():
        first_in.wait(timeout=10)
        with paused_gc():
            pass
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert seen == [False]
    assert gc.isenabled()
