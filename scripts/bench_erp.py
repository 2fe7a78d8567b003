"""Benchmark the ERP directory sync against the fake ERP at EBS scale.

    .venv/bin/python scripts/bench_erp.py [--users 50000] [--changed 500]

In a fresh Helpdesk SQLite database in a temporary directory, with the fake ERP
(``accounts.erp_fake``) holding ``--users`` users (each with a person, a department in
two languages and two responsibilities, one of them inherited through a role) and as many
ERP-backed local users, times:

1. the first full sync (every local user filled in from the ERP);
2. a full sync when nothing changed;
3. an incremental sync after ``--changed`` users changed (half of them a revoked
   responsibility, which stamps only the grant);
4. an incremental sync when nothing changed.

Then it counts the round trips the Oracle gateway makes for a full sync of that many
users (``OracleERPGateway`` over the recording fake driver of the tests, answering
every name it is asked for), against two per user before.
"""

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(directory: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(directory / "media")
    os.environ["DJANGO_ENV_FILE"] = ""
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings.test"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(directory: Path, users: int):
    """The fake ERP's directory and the local ERP-backed users, written in bulk."""
    from django.conf import settings
    from django.contrib.auth.hashers import make_password

    from accounts.erp_fake import FakeDirectory
    from accounts.models import ResponsibilityRole, User

    unusable = make_password(None)
    from accounts.roles import Role

    settings.ERP_GATEWAY = "accounts.erp_fake.FakeERPGateway"
    settings.ERP_FAKE_DIRECTORY = str(directory / "erp.json")
    erp = FakeDirectory(settings.ERP_FAKE_DIRECTORY, failure_limit=5)
    with erp.batch():
        for n in range(users):
            erp.add(
                f"USER{n:06d}",
                "x",
                first_name=f"Имя{n}",
                middle_name="Иванович",
                last_name=f"Фамилия{n}",
                email=f"user{n}@example.com",
                employee_number=str(100000 + n),
                department=f"Отдел {n % 200}",
                department_tl={"US": f"Department {n % 200}"},
                responsibilities=[f"XX_RESP_{n % 50}"],
            )
            erp.grant(f"USER{n:06d}", "XX_HELPDESK_REQUESTER", indirect=True)
    ResponsibilityRole.objects.create(responsibility_key="XX_RESP_1", role=Role.AGENT)
    ResponsibilityRole.objects.create(responsibility_key="XX_HELPDESK_REQUESTER", role="requester")
    User.objects.bulk_create(
        [
            User(
                username=f"user{n:06d}",
                erp_username=f"USER{n:06d}",
                password=unusable,
                language="en" if n % 10 == 3 else "",
            )
            for n in range(users)
        ],
        batch_size=2000,
    )
    return erp


def timed(label: str, job) -> float:
    started = time.perf_counter()
    run = job()
    seconds = time.perf_counter() - started
    if run.outcome != "success":
        sys.exit(f"{label}: {run.outcome} {run.message} {run.errors[:3]}")
    print(
        f"{label:<44} {seconds:8.1f} s   updated {run.updated}, unchanged {run.unchanged}, "
        f"deactivated {run.deactivated}"
    )
    return seconds


def age_stamps(erp) -> None:
    """As if every change had been written before the last run."""
    with erp.batch():
        for entry in erp.data["users"].values():
            entry["updated_at"] = "2000-01-01T00:00:00"
            for grant in entry["grants"]:
                grant["updated_at"] = "2000-01-01T00:00:00"


def oracle_round_trips(users: int) -> None:
    """Statements the Oracle gateway sends for a full sync's profiles."""
    from django.conf import settings

    from accounts.erp import OracleERPGateway
    from accounts.tests.fake_oracledb import FakeOracleDB

    settings.ORACLE_DSN, settings.ORACLE_USER, settings.ORACLE_PASSWORD = "x:1/x", "ro", "pw"
    settings.ERP_AUTH_PACKAGE = "APPS.XX_HELPDESK_AUTH"
    born = dt.datetime(2000, 1, 1)

    def people(binds):
        names = sorted({value for name, value in binds.items() if name.startswith("u")})
        return [
            (name, "", "И", "И", "Ф", "Ф, И", "1", "Отдел", born, None, 1, "Y", None)
            for name in names
        ]

    def grants(binds):
        names = sorted({value for name, value in binds.items() if name.startswith("u")})
        return [(name, key) for name in names for key in ("XX_A", "XX_B")]

    driver = FakeOracleDB()
    driver.respond("PER_ALL_PEOPLE_F", rows=people)
    driver.respond("RESPONSIBILITY_KEY", rows=grants)
    gateway = OracleERPGateway(driver=driver)
    names = [f"USER{n:06d}" for n in range(users)]
    started = time.perf_counter()
    found = {}
    for start in range(0, users, 1000):
        found.update(gateway.profiles(names[start : start + 1000]))
    seconds = time.perf_counter() - started
    gateway.close()
    print(
        f"Oracle gateway, profiles of {users} users: {len(driver.executed)} statements "
        f"(before: {2 * users}), {len(driver.connections)} connection, {len(found)} profiles, "
        f"{seconds:.1f} s in the gateway"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--changed", type=int, default=500)
    args = parser.parse_args()
    print(f"CPUs: {os.cpu_count()}, load average: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-erp-") as directory:
        setup_django(Path(directory))
        from integrations.erp.sync import sync_directory

        started = time.perf_counter()
        erp = seed(Path(directory), args.users)
        seconds = time.perf_counter() - started
        print(f"seeded {args.users} ERP users and local users in {seconds:.1f} s")
        timed("1. first full sync", lambda: sync_directory(full=True))
        timed("2. full sync, nothing changed", lambda: sync_directory(full=True))
        age_stamps(erp)
        with erp.batch():
            step = max(1, args.users // max(1, args.changed))
            for n in range(0, args.users, step)[: args.changed]:
                name = f"USER{n:06d}"
                if n // step % 2:
                    erp.revoke(name, f"XX_RESP_{n % 50}")
                else:
                    erp.change(name, department="Новый отдел")
        timed(f"3. incremental, {args.changed} users changed", sync_directory)
        age_stamps(erp)
        timed("4. incremental, nothing changed", sync_directory)
        oracle_round_trips(args.users)
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
