"""Benchmark the Redmine integration against the real Redmine of scripts/redmine-server.sh.

    .venv/bin/python scripts/bench_redmine.py [--issues 2000]

Needs the server (``scripts/redmine-server.sh start``, as root) and its
``var/redmine-test.env``. Creates a throwaway Redmine project and writes ``--issues``
issues with two journals each (a public note and a private one) straight into Redmine's
MariaDB database (REST would take minutes just to set up), then, in a fresh Helpdesk
SQLite database in a temporary directory, times:

1. the first import through REST (``pull``: list pages plus one request per issue);
2. the first import from Redmine's database (``import_from_db``), after the tickets of
   the first one were deleted;
3. an incremental pull when nothing changed;
4. a full pull when nothing changed (every issue listed, the deleted-issue check).

Prints issues per second and seconds; the project is deleted at the end.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from integrations.redmine.testing import project_payload  # noqa: E402


def read_env() -> dict:
    path = ROOT / "var" / "redmine-test.env"
    if not path.exists():
        sys.exit("no var/redmine-test.env: start the server with scripts/redmine-server.sh start")
    return dict(line.split("=", 1) for line in path.read_text().split() if "=" in line)


def setup_django(directory: Path, redmine: dict) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(directory / "media")
    os.environ["DJANGO_ENV_FILE"] = ""
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["REDMINE_DATABASE_URL"] = redmine["REDMINE_TEST_DATABASE_URL"]
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings.test"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def create_project(redmine: dict) -> dict:
    url, headers = (
        redmine["REDMINE_TEST_URL"],
        {"X-Redmine-API-Key": redmine["REDMINE_TEST_API_KEY"]},
    )
    trackers = requests.get(f"{url}/trackers.json", headers=headers, timeout=30).json()["trackers"]
    payload = project_payload("Нагрузка", trackers, prefix="bench")
    answer = requests.post(f"{url}/projects.json", headers=headers, json=payload, timeout=30)
    answer.raise_for_status()
    project = answer.json()["project"]
    project["tracker_id"] = trackers[0]["id"]
    return project


def delete_project(redmine: dict, project: dict) -> None:
    requests.delete(
        f"{redmine['REDMINE_TEST_URL']}/projects/{project['id']}.json",
        headers={"X-Redmine-API-Key": redmine["REDMINE_TEST_API_KEY"]},
        timeout=300,
    )


def seed_issues(redmine: dict, project: dict, count: int) -> None:
    """Issues and journals written as Redmine writes them (a root of its own tree)."""
    import MySQLdb
    from environ import Env

    config = Env.db_url_config(redmine["REDMINE_TEST_ADMIN_DATABASE_URL"])
    db = MySQLdb.connect(
        host=config["HOST"],
        port=int(config["PORT"] or 3306),
        user=config["USER"],
        passwd=config["PASSWORD"] or "",
        db=config["NAME"],
        charset="utf8mb4",
    )
    cursor = db.cursor()
    cursor.execute("SELECT id FROM issue_statuses ORDER BY position")
    statuses = [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT id FROM enumerations WHERE type='IssuePriority' ORDER BY position")
    priorities = [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT UTC_TIMESTAMP() - INTERVAL 1 DAY")
    created = cursor.fetchone()[0]
    rows = [
        (
            project["tracker_id"],
            project["id"],
            f"Заявка нагрузки {n}: не работает принтер на {n % 40} этаже",
            f"Описание {n}\r\nвторая строка",
            statuses[n % len(statuses)],
            priorities[n % len(priorities)],
            created,
            created,
        )
        for n in range(count)
    ]
    cursor.executemany(
        "INSERT INTO issues (tracker_id, project_id, subject, description, status_id,"
        " priority_id, author_id, created_on, updated_on, lock_version, done_ratio,"
        " is_private, lft, rgt, start_date)"
        " VALUES (%s, %s, %s, %s, %s, %s, 1, %s, %s, 0, 0, 0, 1, 2, CURDATE())",
        rows,
    )
    cursor.execute("UPDATE issues SET root_id = id WHERE project_id = %s", (project["id"],))
    cursor.execute("SELECT id FROM issues WHERE project_id = %s", (project["id"],))
    ids = [row[0] for row in cursor.fetchall()]
    journals = [
        (issue_id, text, private, created)
        for issue_id in ids
        for text, private in (("Публичный ответ", 0), ("Внутренняя заметка", 1))
    ]
    cursor.executemany(
        "INSERT INTO journals (journalized_id, journalized_type, user_id, notes, created_on,"
        " private_notes) VALUES (%s, 'Issue', 1, %s, %s, %s)",
        [(i, t, c, p) for i, t, p, c in journals],
    )
    db.commit()
    db.close()


def check(run, created: int) -> None:
    if run.outcome != "success" or run.created != created or (not created and run.updated):
        sys.exit(f"unexpected run: {run.outcome} {run.message} {run.errors[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3, help="repetitions of the no-change pull")
    args = parser.parse_args()
    redmine = read_env()
    project = create_project(redmine)
    try:
        with tempfile.TemporaryDirectory(prefix="helpdesk-bench-redmine-") as directory:
            setup_django(Path(directory), redmine)
            run(redmine, project, args)
    finally:
        delete_project(redmine, project)


def run(redmine: dict, project: dict, args) -> None:
    from django.conf import settings

    from integrations.models import RedmineLink, RedmineProject
    from integrations.redmine.importer import import_from_db
    from integrations.redmine.pull import pull
    from tickets.models import Comment, Queue, Ticket
    from tickets.workflow import ensure_default_workflow

    settings.REDMINE_URL = redmine["REDMINE_TEST_URL"]
    settings.REDMINE_API_KEY = redmine["REDMINE_TEST_API_KEY"]
    settings.REDMINE_SYNC_ENABLED = True
    ensure_default_workflow()
    started = time.perf_counter()
    seed_issues(redmine, project, args.issues)
    print(f"seeded {args.issues} issues in Redmine in {time.perf_counter() - started:.1f} s")
    queue = Queue.objects.create(name="Нагрузка", key_prefix="BEN", slug="ben")
    mapping = RedmineProject.objects.create(redmine_id=project["id"], name="bench", queue=queue)

    started = time.perf_counter()
    run_rest = pull(trigger="benchmark")
    rest = time.perf_counter() - started
    check(run_rest, args.issues)
    comments = Comment.objects.count()

    Ticket.objects.all().delete()
    RedmineLink.objects.all().delete()
    RedmineProject.objects.filter(pk=mapping.pk).update(
        cursor=None, ids_checked_at=None, backlog_done=False
    )
    started = time.perf_counter()
    run_db = import_from_db(trigger="benchmark")
    from_db = time.perf_counter() - started
    check(run_db, args.issues)
    if Comment.objects.count() != comments:
        sys.exit("the database import made other comments than the REST pull")

    pull(trigger="benchmark")  # the first pull after the import also checks for deletions
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        again = pull(trigger="benchmark")
        times.append(time.perf_counter() - started)
        check(again, 0)
    started = time.perf_counter()
    check(pull(full=True, trigger="benchmark"), 0)
    full = time.perf_counter() - started
    print()
    print(f"| measure ({args.issues} issues, {comments} journals with notes) | result |")
    print("| --- | ---: |")
    print(f"| first import through REST | {args.issues / rest:.0f} issues/s ({rest:.1f} s) |")
    rate = args.issues / from_db
    print(f"| first import from Redmine's database | {rate:.0f} issues/s ({from_db:.1f} s) |")
    print(
        f"| incremental pull, nothing changed (median of {args.runs}) | "
        f"{statistics.median(times) * 1000:.0f} ms |"
    )
    print(f"| full pull, nothing changed | {full:.1f} s |")
    print(f"\nload average at the end: {' / '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
