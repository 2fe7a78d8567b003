"""Template hygiene that Django does not check for us."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [
    path
    for folder in ("templates", "accounts", "tickets", "notifications", "integrations")
    for path in (ROOT / folder).rglob("*.html")
]


def test_template_comments_are_closed_on_their_line():
    # {# ... #} only works on one line; over several lines it is shown to the user.
    broken = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in TEMPLATES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert TEMPLATES
    assert broken == []
