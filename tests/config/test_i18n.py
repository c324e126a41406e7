"""Volna's Russian interface: the catalogue is complete, its placeholders match, and Django serves it.

The .mo files are compiled by ``make install`` / ``make messages`` (Babel) and are not committed.
"""

from __future__ import annotations

import gettext as gnu_gettext
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
RU_DIR = ROOT / "locale" / "ru" / "LC_MESSAGES"
RU_PO = RU_DIR / "django.po"
RU_MO = RU_DIR / "django.mo"
RUN_MAKE_MESSAGES = "run make messages (it compiles locale/*/LC_MESSAGES/django.po with Babel)"

# %(name)s, %s, %5.2f, %%: the conversions Python's %-formatting understands.
_PERCENT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])"
)


def _catalog() -> Catalog:
    with RU_PO.open("rb") as po:
        return read_po(po, locale="ru")


def _messages() -> Iterator[Message]:
    return (message for message in _catalog() if message.id)


def _label(message: Message) -> str:
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    where = ", ".join(f"{path}:{line}" for path, line in message.locations[:1])
    return f"{msgid!r} ({where})" if where else repr(msgid)


def _percent_placeholders(text: str) -> set[str]:
    """Named placeholders by name, positional ones by position and type (``%s`` twice is two)."""
    found, position = set(), 0
    for match in _PERCENT.finditer(text):
        if match["type"] == "%":
            continue
        if match["name"] is not None:
            found.add(f"%({match['name']})")
        else:
            found.add(f"#{position}:{match['type']}")
            position += 1
    return found


def _brace_placeholders(text: str) -> set[str]:
    return {field for _text, field, _spec, _conv in string.Formatter().parse(text) if field is not None}


def _placeholders(message: Message, text: str) -> set[str]:
    found = set()
    if "python-format" in message.flags:
        found |= _percent_placeholders(text)
    if "python-brace-format" in message.flags:
        found |= _brace_placeholders(text)
    return found


def _as_tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.fixture
def compiled_ru() -> Path:
    if not RU_MO.exists():
        pytest.fail(f"{RU_MO} is missing: {RUN_MAKE_MESSAGES}.")
    return RU_MO


def test_russian_catalog_is_not_fuzzy_and_has_the_three_russian_plural_forms():
    catalog = _catalog()

    # Babel skips a catalogue whose header is fuzzy: there would be no Russian at all.
    assert not catalog.fuzzy, "the header of locale/ru/LC_MESSAGES/django.po is marked fuzzy"
    assert catalog.num_plurals == 3
    plural = gnu_gettext.c2py(catalog.plural_expr)
    one, few, many = (1, 21, 101), (2, 4, 22), (0, 5, 11, 12, 14, 25, 111, 112)
    assert [plural(n) for n in (*one, *few, *many)] == [0] * len(one) + [1] * len(few) + [2] * len(many)


def test_every_russian_message_is_translated():
    # Babel pads a plural message's missing forms with "": they show up here too.
    untranslated = []
    for message in _messages():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(s.strip() for s in strings):
            untranslated.append(_label(message))

    assert not untranslated, "untranslated or fuzzy in locale/ru/LC_MESSAGES/django.po:\n" + "\n".join(
        untranslated
    )


def test_translations_keep_the_placeholders_of_the_english():
    wrong = []
    for message in _messages():
        if message.pluralizable:
            allowed = _placeholders(message, message.id[1])
            # Russian uses the "one" form for 21, 31, ...: it follows msgid_plural, not msgid.
            for index, text in enumerate(message.string):
                extra = _placeholders(message, text) - allowed
                if text and extra:
                    wrong.append(f"{_label(message)} msgstr[{index}]: {sorted(extra)} not in msgid_plural")
        elif message.string:
            expected, actual = _placeholders(message, message.id), _placeholders(message, message.string)
            if expected != actual:
                wrong.append(f"{_label(message)}: expected {sorted(expected)}, found {sorted(actual)}")

    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_compiled_russian_catalog_is_up_to_date(compiled_ru):
    with compiled_ru.open("rb") as mo:
        compiled = {(m.context, _as_tuple(m.id)): _as_tuple(m.string) for m in read_mo(mo) if m.id}
    stale = [
        _label(message)
        for message in _messages()
        if message.string
        and not message.fuzzy
        and compiled.get((message.context, _as_tuple(message.id))) != _as_tuple(message.string)
    ]

    assert not stale, f"{compiled_ru} is older than django.po, {RUN_MAKE_MESSAGES}:\n" + "\n".join(stale)


def test_django_serves_russian_at_run_time(compiled_ru):
    assert RU_DIR.parents[1] in [Path(path).resolve() for path in settings.LOCALE_PATHS]
    with translation.override("ru"):
        assert translation.gettext("This survey is closed. Thank you for your interest.") == (
            "Этот опрос закрыт. Спасибо за ваш интерес."
        )
        counts = {
            n: translation.ngettext("%(n)d question", "%(n)d questions", n) % {"n": n} for n in (1, 3, 5, 21)
        }
        assert counts == {1: "1 вопрос", 3: "3 вопроса", 5: "5 вопросов", 21: "21 вопрос"}
        # Django's own Russian catalogue still answers for the admin's strings.
        assert translation.gettext("Delete") == "Удалить"
    with translation.override("en"):
        assert translation.gettext("This survey is closed. Thank you for your interest.") == (
            "This survey is closed. Thank you for your interest."
        )
