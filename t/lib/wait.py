"""Waiting on a condition instead of sleeping a fixed time.

A fixed time.sleep() that waits for something to become true (a server to
answer, a log line, a row to go, a process to exit) is either too short on
a loaded machine or too long everywhere.  wait_until() polls instead and
fails with a message saying what never happened.

A sleep that deliberately lets real time pass (a token's lifetime, a
throttle window, a TTL, load running while a fault is injected) stays a
time.sleep(), with a comment saying so.
"""

import time


def wait_until(predicate, timeout=5, interval=0.05, what=None, ignore=()):
    """Calls PREDICATE every INTERVAL seconds until it returns a true value,
    and returns that value.

    After TIMEOUT seconds raises AssertionError("timed out after TIMEOUTs
    waiting for WHAT"); WHAT may be a function, called then.  An exception of a type in IGNORE raised by
    PREDICATE (a server that does not answer yet) counts as false; any
    other exception, an AssertionError of the predicate's own included,
    propagates at once."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
            if value:
                return value
        except ignore:
            pass
        if time.monotonic() >= deadline:
            if callable(what):
                what = what()
            raise AssertionError("timed out after %ss waiting for %s" % (
                timeout, what or getattr(predicate, "__name__", predicate)))
        time.sleep(interval)
