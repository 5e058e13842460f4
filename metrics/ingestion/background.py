"""Iterate in a background thread: the producer runs ahead of the consumer by a bounded number of items.

Used where one side of a pipeline releases the GIL while the other works in Python: calamine parsing the next
slice of a sheet while the parser builds frames (readers), and the parser reading the next chunk while the loader
waits on the database (loader). On two cores a large file then takes about max(produce, consume) instead of the
sum. At most ``ahead`` produced items wait at any time, so memory stays flat. The producer's exceptions are raised
in the consumer's thread; closing the iterator (or leaving the ``for`` loop) stops and joins the producer.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

_DONE = object()


def in_background(items: Iterable[Any], *, ahead: int = 1, name: str = "kpiboard-background",
                  context: Callable[[], AbstractContextManager] | None = None) -> Iterator[Any]:
    """Yield ``items``, produced in a thread ``ahead`` items in advance.

    ``context``, when given, is entered around the production in the thread (the loader uses it to word row
    errors in the caller's language). ``items.close()`` is called at the end when it has one (a generator).
    """
    box: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            with context() if context is not None else contextlib.nullcontext():
                for item in items:
                    if not put((item, None)):
                        return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer's thread, which raises it
            put((None, exc))
            return
        put((_DONE, None))

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item, error = box.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        # A generator can be finalised by the garbage collector in its own producer thread (the last reference
        # held by an exception's traceback there); that thread is already on its way out and can neither join
        # itself nor close ``items``, which it is still iterating ("generator already executing"): the producer's
        # loop ends there on its own, and ``items`` is finalised with it.
        if thread is not threading.current_thread():
            thread.join()
            close = getattr(items, "close", None)
            if close is not None:
                close()
