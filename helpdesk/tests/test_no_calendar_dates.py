"""No test data names a calendar date that the clock will overtake.

A literal due date in a test is a time bomb: written as the future, it is the past some
day, and then Redmine refuses the issue or a reminder turns into "overdue". Tests date
things relative to today instead (``timezone.localdate() + timedelta(days=30)``). This
guard reads every test module with ``ast`` and lists each string constant holding a valid
ISO date (also inside a datetime) on or after ``CUTOFF``. Older dates stay in the past
whatever the clock; malformed ones are input for validation tests and stay too.
"""

import ast
import datetime as dt
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_FOLDERS = {".venv", "node_modules"}
EXTRA_MODULES = ["scripts/record_redmine_json.py"]  # makes the recorded Redmine answers
CUTOFF = dt.date(2021, 1, 1)
ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def calendar_dates(source: str) -> list[tuple[int, str]]:
    """``(line, literal)`` of every string constant in ``source`` holding a valid ISO
    date on or after ``CUTOFF``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in ISO_DATE.finditer(node.value):
                try:
                    day = dt.date(*map(int, match.groups()))
                except ValueError:
                    continue
                if day >= CUTOFF:
                    found.append((node.lineno, node.value))
                    break
    return sorted(found)


def modules_to_check(root: Path = ROOT) -> list[Path]:
    """Every module under a ``tests`` or ``testing`` folder, every ``conftest.py`` and
    ``testing.py``, and the extra modules that make test data."""
    modules = [root / name for name in EXTRA_MODULES]
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED_FOLDERS]
        in_tests = {"tests", "testing"} & set(Path(folder).relative_to(root).parts)
        for name in files:
            if name.endswith(".py") and (in_tests or name in ("conftest.py", "testing.py")):
                modules.append(Path(folder) / name)
    return sorted(set(modules))


def test_the_checker_flags_late_dates_only():
    # Made from date objects, so that this module holds no dated literal itself.
    late, stamp = dt.date(2026, 12, 1), dt.datetime(2030, 3, 10, 10, 0, tzinfo=dt.UTC)
    source = (
        f'due = "{late}"\n'
        f'ended = "{dt.date(2020, 12, 31)}"\n'
        f'wrong = "created_from={late.year}-13-45"\n'
        f'since = f">={{day}}T01:52:10Z" + "{stamp.isoformat()}"\n'
    )
    assert calendar_dates(source) == [(1, str(late)), (4, stamp.isoformat())]


def test_the_walk_finds_the_test_modules():
    found = {path.relative_to(ROOT).as_posix() for path in modules_to_check()}
    assert {
        "conftest.py",
        "helpdesk/testing/__init__.py",
        "helpdesk/testing/data.py",
        "integrations/redmine/testing.py",
        "integrations/redmine/tests/conftest.py",
        "tickets/tests/test_api_tickets.py",
        "helpdesk/tests/test_no_calendar_dates.py",
        *EXTRA_MODULES,
    } <= found
    assert not any(set(Path(path).parts) & SKIPPED_FOLDERS for path in found)


def test_no_test_module_names_a_calendar_date():
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {literal!r}"
        for path in modules_to_check()
        for line, literal in calendar_dates(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "date these relative to today:\n" + "\n".join(problems)
