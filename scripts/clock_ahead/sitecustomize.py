"""Moves the wall clock of every Python process of a test run ahead (`make test-clock-ahead`).

On ``PYTHONPATH`` only for that run: Python imports ``sitecustomize`` at start, so the test
process and the daphne servers and Celery workers it starts all see the same moved date.
time-machine moves ``time.time``, ``datetime.now``, ``date.today`` and their kin and leaves
the monotonic clock alone, so timeouts and sleeps keep their length (libfaketime moves both
and hangs Python's timed waits).
"""

import datetime as dt
import os

days = int(os.environ.get("CLOCK_AHEAD_DAYS") or 0)
if days:
    import time

    import time_machine

    time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=days), tick=True).start()
    # The moved clock ticks from its first reading: read it now, so that every process is
    # the same span ahead of the real clock, whenever it first asks the time.
    time.time()
