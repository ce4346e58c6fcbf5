"""Firing requests at the same moment: threads through the app, each with its own connection.

Each request runs in its own thread and its own app context, so it gets its own database
session and connection from the pool, as two gunicorn workers would. A barrier placed at a
chosen point of the view holds every request there until all have arrived, so the race
happens on every run instead of once in a while.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

BARRIER_SECONDS = 10


def hold_until_all_arrive(monkeypatch, module, name: str, parties: int) -> threading.Barrier:
    """Wrap `module.name` so that each call waits until `parties` calls have reached it."""
    barrier = threading.Barrier(parties, timeout=BARRIER_SECONDS)
    original = getattr(module, name)

    def held(*args, **kwargs):
        barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, held)
    return barrier


def run_at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run each call in its own thread; return their results (or exceptions) in order."""
    results: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except BaseException as exc:  # reported to the test, which fails on it
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BARRIER_SECONDS * 3)
    return results


def second_tab(app, client, cookie_name: str):
    """Return a new test client holding the same session cookie as `client` (another tab)."""
    tab = app.test_client()
    cookie = client.get_cookie(cookie_name)
    assert cookie is not None, f"no {cookie_name} cookie to share"
    tab.set_cookie(cookie_name, cookie.value)
    return tab
