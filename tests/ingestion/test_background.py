"""metrics.ingestion.background: the producer thread's items, errors and shutdown."""

from __future__ import annotations

import threading

import pytest

from metrics.ingestion.background import in_background


def test_items_arrive_in_order_and_the_producer_is_closed():
    closed = []

    def items():
        try:
            yield from range(5)
        finally:
            closed.append(True)

    assert list(in_background(items(), ahead=2)) == [0, 1, 2, 3, 4]
    assert closed == [True]


def test_a_producer_error_is_raised_in_the_consumer():
    def items():
        yield 1
        raise ValueError("damaged slice")

    gen = in_background(items())
    assert next(gen) == 1
    with pytest.raises(ValueError, match="damaged slice"):
        next(gen)


def test_finalised_in_the_producer_thread_it_neither_joins_nor_closes_what_is_running():
    """The garbage collector may finalise the consumer's generator in the producer thread (the last reference held
    by a traceback there): closing it there must not try to close the producer's own running generator."""
    holder: dict = {}
    received, finished = threading.Event(), threading.Event()

    def items():
        yield 1
        received.wait(5)
        try:
            holder["consumer"].close()  # as the garbage collector would, from this thread
        except Exception as exc:  # noqa: BLE001 - recorded for the assertion below
            holder["error"] = exc
        finished.set()
        yield 2

    holder["consumer"] = in_background(items())
    assert next(holder["consumer"]) == 1
    received.set()
    assert finished.wait(5)
    assert "error" not in holder, holder.get("error")
