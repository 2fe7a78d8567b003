"""Russian is the default language: every message in the catalog must be translated."""

import re
from pathlib import Path

from django.utils import translation

CATALOG = Path(__file__).resolve().parents[2] / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def _entries(text: str):
    for block in text.split("\n\n")[1:]:  # the first block is the header
        head, _, tail = block.partition("\nmsgstr")
        msgid = "".join(re.findall(r'"(.*)"$', head[head.index("msgid") :], re.M))
        msgstr = "".join(re.findall(r'"(.*)"$', tail, re.M))
        yield msgid, msgstr, "#, fuzzy" in block


def test_russian_catalog_is_complete():
    untranslated = [
        msgid for msgid, msgstr, _ in _entries(CATALOG.read_text(encoding="utf-8")) if not msgstr
    ]
    fuzzy = [
        msgid for msgid, _, is_fuzzy in _entries(CATALOG.read_text(encoding="utf-8")) if is_fuzzy
    ]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogs_are_used():
    with translation.override("ru"):
        assert translation.gettext("Sign in") == "Войти"
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"
