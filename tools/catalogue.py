"""The package's message catalogues: extract, update, compile, check (gettext's files, Babel's tools).

    python tools/catalogue.py extract   # the sources' templates -> dwconv_utils/locale/dwconv_utils.pot
    python tools/catalogue.py update    # the .pot -> every language's .po (changed entries become fuzzy)
    python tools/catalogue.py compile   # every .po -> .mo (what the package reads)
    python tools/catalogue.py check     # stale, missing or fuzzy entries and broken fields; exit 1 if any

After editing a sentence in the package: extract, update, translate the entries
`check` names (in the .po file, with any gettext editor: Poedit, Weblate, a text
editor), compile, and commit the .pot, .po and .mo files together. A new
language: add it to ``i18n.LANGUAGES`` and run `update` (it creates the .po).
"""
from __future__ import annotations

import argparse
import io
import string
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from dwconv_utils.i18n import CATALOGUED, DOMAIN, LANGUAGES, LOCALE_DIR  # noqa: E402

KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"


def module_path(module: str) -> Path:
    return ROOT / (module.replace(".", "/") + ".py")


HEADER = {"project": DOMAIN, "version": "0.1", "copyright_holder": "the dwconv_utils authors",
          "msgid_bugs_address": "the project's issue tracker", "header_comment": (
              "# The words dwconv_utils shows, as templates for translators.\n"
              "# Made by tools/catalogue.py extract from the sources: do not edit by hand.")}


def new_catalog(language: str | None = None) -> Catalog:
    catalog = Catalog(locale=language, domain=DOMAIN, fuzzy=False, **HEADER)
    if language:
        catalog.header_comment = (f"# {LANGUAGES[language]} translation of the words dwconv_utils shows.\n"
                                  "# Edit the msgstr lines; tools/catalogue.py update and compile do the rest.")
    return catalog


def extracted() -> Catalog:
    """Every template the catalogued modules pass to _, N_ or ngettext, with where it stands."""
    catalog = new_catalog()
    for module in CATALOGUED:
        path = module_path(module)
        for line, message, comments, _context in extract_from_file("python", str(path), KEYWORDS):
            catalog.add(message, locations=[(str(path.relative_to(ROOT)), line)],
                        auto_comments=comments)
    return catalog


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def write(catalog: Catalog, path: Path, **options) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, **options)
    path.write_bytes(buffer.getvalue())


def fields(message) -> list[tuple[str, str, str | None]]:
    """The replacement fields of a template as (name, format spec, conversion), sorted: a
    translation must keep every one, spec and conversion included, or ``.format`` breaks or
    prints other numbers. A field with no name ("{}", "{0}") is refused: templates name theirs.
    Unbalanced braces raise ``ValueError``."""
    texts = message if isinstance(message, (tuple, list)) else (message,)
    found = set()
    for text in texts:
        for _literal, name, spec, conversion in string.Formatter().parse(text or ""):
            if name is None:
                continue
            if not name or name.isdigit():
                raise ValueError(f"{text!r} has a field without a name ({{{name}}}); name it")
            found.add((name, spec or "", conversion))
    return sorted(found, key=lambda f: (f[0], f[1], f[2] or ""))


def field_problem(message_id, translation) -> str | None:
    """Why a translation's fields do not match its template's, or None."""
    try:
        if fields(translation) != fields(message_id):
            return (f"fields {fields(translation)} differ from the English {fields(message_id)}")
    except ValueError as error:
        return str(error)
    return None


def problems() -> list[str]:
    """What a translator or the code must mend: the .pot behind the sources, entries of a
    language missing, untranslated, fuzzy or obsolete, fields that differ, a stale .mo."""
    found = []
    fresh = extracted()
    template = read(TEMPLATE) if TEMPLATE.exists() else Catalog()
    ids = {m.id for m in fresh if m.id}
    old = {m.id for m in template if m.id}
    for message_id in sorted(ids - old, key=str):
        found.append(f"{TEMPLATE.name}: missing {message_id!r} (run extract)")
    for message_id in sorted(old - ids, key=str):
        found.append(f"{TEMPLATE.name}: no longer in the sources: {message_id!r} (run extract)")
    for language in LANGUAGES:
        if language == "en":
            continue
        path = po_path(language)
        if not path.exists():
            found.append(f"{path.relative_to(ROOT)}: missing (run update)")
            continue
        catalog = read(path, language)
        entries = {m.id: m for m in catalog if m.id}
        for message_id in sorted(ids, key=str):
            message = entries.get(message_id)
            where = ", ".join(f"{f}:{n}" for f, n in (fresh[message_id].locations if message_id in fresh else []))
            if message is None:
                found.append(f"{path.name} ({language}): missing {message_id!r} at {where} (run update)")
            elif message.fuzzy:
                found.append(f"{path.name} ({language}): fuzzy (the English changed) {message_id!r} at {where}")
            elif not (all(message.string) if isinstance(message.string, (tuple, list)) else message.string):
                found.append(f"{path.name} ({language}): untranslated {message_id!r} at {where}")
            elif (problem := field_problem(message_id, message.string)) is not None:
                found.append(f"{path.name} ({language}): {problem} in {message_id!r}")
        for message_id in sorted(set(entries) - ids, key=str):
            found.append(f"{path.name} ({language}): obsolete {message_id!r} (run update)")
        compiled = path.with_suffix(".mo")
        if not compiled.exists() or compiled_messages(compiled) != po_messages(catalog):
            found.append(f"{compiled.relative_to(ROOT)}: not compiled from the .po (run compile)")
    return found


def compiled_messages(path: Path) -> dict:
    """What a .mo file translates (its header left out): compared by meaning, not bytes, since
    each Babel version writes its own name into the file."""
    with path.open("rb") as handle:
        return po_messages(read_mo(handle))


def po_messages(catalog: Catalog) -> dict:
    """{template: translation} of a catalogue's translated, non-fuzzy entries."""
    return {message.id if isinstance(message.id, str) else tuple(message.id):
            message.string if isinstance(message.string, str) else tuple(message.string)
            for message in catalog if message.id and not message.fuzzy and message.string
            and (isinstance(message.string, str) or all(message.string))}


def mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("extract", "update", "compile", "check"))
    action = parser.parse_args(argv).action
    if action == "extract":
        write(extracted(), TEMPLATE, sort_by_file=True)
        print(f"wrote {TEMPLATE.relative_to(ROOT)}")
    elif action == "update":
        template = read(TEMPLATE)
        for language in LANGUAGES:
            if language == "en":
                continue
            path = po_path(language)
            catalog = read(path, language) if path.exists() else new_catalog(language)
            catalog.update(template, no_fuzzy_matching=False)
            catalog.fuzzy = False  # the header: every entry carries its own flag
            write(catalog, path, ignore_obsolete=True, sort_by_file=True)
            print(f"updated {path.relative_to(ROOT)}")
    elif action == "compile":
        for language in LANGUAGES:
            if language == "en":
                continue
            path = po_path(language)
            path.with_suffix(".mo").write_bytes(mo_bytes(read(path, language)))
            print(f"compiled {path.with_suffix('.mo').relative_to(ROOT)}")
    else:
        found = problems()
        for line in found:
            print(line)
        print("the catalogues are in step with the sources" if not found else f"{len(found)} to mend")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
