"""Every Dutch UI string has an English translation with the same placeholders."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "sociale_kaart" / "translations" / "en" / "LC_MESSAGES"
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _read(reader, name):
    with (CATALOGUE / name).open("rb") as handle:
        return reader(handle)


def _key(message_id):
    return message_id[0] if isinstance(message_id, (tuple, list)) else message_id


def _text(string):
    return tuple(string) if isinstance(string, (tuple, list)) else string


def source_messages():
    found = set()
    # The e-mail templates (.txt: subject line and plain text) are translated too.
    for folder, method, pattern in (
        (ROOT / "sociale_kaart", "python", "**.py"),
        (ROOT / "templates", "jinja2", "**.html"),
        (ROOT / "templates", "jinja2", "**.txt"),
    ):
        for _, _, message, _, _ in extract_from_dir(
            folder,
            method_map=[(pattern, method)],
            keywords=KEYWORDS,
            options_map={pattern: {"extensions": "jinja2.ext.i18n"}} if method == "jinja2" else None,
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_ui_string_is_translated_with_the_same_placeholders():
    catalog = _read(read_po, "messages.po")
    missing = []
    for message_id in sorted(source_messages()):
        entry = catalog.get(message_id)
        strings = entry.string if entry else None
        strings = strings if isinstance(strings, tuple) else (strings,)
        if not entry or entry.fuzzy or not all(strings):
            missing.append(message_id)
            continue
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(str(entry.id))), message_id
    assert not missing, f"untranslated (run `make translations` and translate): {missing}"


def test_compiled_catalogue_matches_the_po_file():
    po = {_key(m.id): _text(m.string) for m in _read(read_po, "messages.po") if m.id}
    mo = {_key(m.id): _text(m.string) for m in _read(read_mo, "messages.mo") if m.id}
    assert po == mo, "messages.mo is stale: run `pybabel compile -d sociale_kaart/translations`"
