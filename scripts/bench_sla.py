"""Benchmark the service levels at W1 scale, in-process.

    .venv/bin/python scripts/bench_sla.py [--tickets 20000 --comments 100000 --runs 20]

Builds the W1 data as scripts/bench.py does (a fresh SQLite database in a temporary
directory; ``--database-url`` for MariaDB), adds a Moscow office calendar with the Russian
holidays and one policy per priority over every queue (waiting pauses), then measures:

- ``sla_recompute`` of every ticket (the command's service, one pass);
- the periodic check when nothing is due (no clock's ``check_at`` has come);
- the ticket list sorted by time left and a board, with their badges, and their query
  counts with and without clocks (the badges must come with the page's own queries).

Prints a Markdown table (see docs/sla.md).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench


def policies_ensure() -> int:
    from django.utils import timezone

    from sla.models import BusinessCalendar, Policy
    from sla.services import calendar_fill_holidays
    from tickets.models import Priority, Status

    calendar = BusinessCalendar.objects.create(name="Офис, Москва")
    year = timezone.localdate().year
    calendar_fill_holidays(calendar=calendar, years=[year - 1, year, year + 1])
    waiting = Status.objects.filter(code="waiting")
    targets = {"urgent": (30, 4 * 60), "high": (60, 8 * 60)}
    for order, item in enumerate(Priority.objects.order_by("-order")):
        first, resolution = targets.get(item.code, (4 * 60, 3 * 9 * 60))
        policy = Policy.objects.create(
            name=f"SLA {item.code}",
            order=order,
            priority=item,
            calendar=calendar,
            first_response_minutes=first,
            next_response_minutes=first * 2,
            resolution_minutes=resolution,
        )
        policy.pause_statuses.set(waiting)
    return Policy.objects.count()


def run(args: argparse.Namespace, database: str) -> None:
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from sla.models import Clock
    from sla.services import clocks_recompute, sla_check
    from tickets.models import Queue

    result, migrated = bench.build_dataset(args)
    agent = bench.bench_agent()
    print(f"{policies_ensure()} policies")
    started = time.perf_counter()
    written = clocks_recompute(progress=None)
    recompute = time.perf_counter() - started
    # Nothing due: what the check finds every minute on a quiet desk.
    later = timezone.now()
    Clock.objects.filter(check_at__lte=later).update(check_at=None)
    check = bench.measure("periodic check, nothing due", lambda: sla_check(later), runs=args.runs)
    queue = Queue.objects.order_by("pk")[0]
    client = Client()
    client.force_login(agent)
    notes: dict[str, str] = {}
    reads = [
        ("ticket list `/tickets/?state=open&sort=sla` (25 rows)", "/tickets/?state=open&sort=sla"),
        (
            "ticket list `/tickets/?state=open&sort=-priority` (25 rows)",
            "/tickets/?state=open&sort=-priority",
        ),
        ("ticket list `/tickets/?sla=at_risk`", "/tickets/?sla=at_risk"),
        (f"board `/board/{queue.slug}/`", f"/board/{queue.slug}/"),
    ]
    rows = bench.measure_interleaved(
        [(f"{name}, badges", bench.checked_get(client, url, notes)) for name, url in reads],
        runs=args.runs,
    )
    states = dict(Clock.objects.values_list("state").annotate(n=Count("pk")))
    Clock.objects.all().delete()
    # The same pages without any clock: what the badges cost.
    rows += bench.measure_interleaved(
        [(f"{name}, no clocks", bench.checked_get(client, url, notes)) for name, url in reads[1:]],
        runs=args.runs,
    )
    print(f"\n{database}; {result.total} tickets; migrated in {migrated:.1f} s")
    print(f"load average {bench.load_average()}\n")
    print("| operation | median ms | p90 ms | queries |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| sla_recompute, {written} clocks | {recompute * 1000:.0f} | — | — |")
    for row in [check, *rows]:
        print(f"| {row.operation} | {row.median:.1f} | {row.p90:.1f} | {row.queries} |")
    print(f"\nclock states: {states}")


def main() -> None:
    args = bench.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="helpdesk-bench-sla-"))
    if args.database_url:
        bench.mysql_database_create(args.database_url)
    try:
        database = bench.setup_django(directory, args.database_url)
        run(args, database)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        if args.database_url:
            from django.db import connections

            connections.close_all()
            bench.mysql_database_drop(args.database_url)


if __name__ == "__main__":
    main()
