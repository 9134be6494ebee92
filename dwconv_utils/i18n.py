"""The words the package shows, in the reader's language: gettext catalogues.

Every sentence the package prints or shows is a whole template with named
fields, looked up through ``_`` (``ngettext`` where a number decides the
grammar, by the catalogue's own plural rule) and filled afterwards:

    _("{first} is ahead of {second} by {points:.2f} points.").format(first=..., ...)

never glued from fragments, never an f-string inside ``_()``. ``N_`` marks a
template for the catalogue where it is defined and translated later, where it
is used. The catalogues are gettext's own files under ``dwconv_utils/locale/``:
``dwconv_utils.pot`` (every template, extracted from the sources) and one
``LANG/LC_MESSAGES/dwconv_utils.po`` per language, compiled to ``.mo``
(``tools/catalogue.py`` extracts, updates, compiles and checks them). The
language is English unless ``set_language`` or the environment variable
``DWCONV_LANG`` says otherwise (``zh_CN``: Simplified Chinese).
"""
from __future__ import annotations

import gettext
import os
from pathlib import Path

DOMAIN = "dwconv_utils"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGE_ENV = "DWCONV_LANG"
LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
# Modules whose every user-facing sentence goes through the catalogue (tests/test_catalogue.py
# holds them to it); the others follow one by one.
CATALOGUED = ("dwconv_utils.checks", "dwconv_utils.findings", "dwconv_utils.i18n", "dwconv_utils.layers",
              "dwconv_utils.tracer")

_state: dict = {"language": None, "translation": None}


def _load(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


def set_language(language: str | None = None) -> str:
    """Show the package's words in ``language`` (a key of ``LANGUAGES``; None: ``DWCONV_LANG``
    or English). Returns the language now in use."""
    if language is None:
        language = os.environ.get(LANGUAGE_ENV) or "en"
    if language not in LANGUAGES:
        if _state["translation"] is None:  # the error itself needs a language to be said in
            _state["language"], _state["translation"] = "en", _load("en")
        raise ValueError(_("language must be one of {allowed}; got {language!r}").format(
            allowed=", ".join(repr(k) for k in LANGUAGES), language=language))
    _state["translation"] = _load(language)
    _state["language"] = language
    return language


def language() -> str:
    """The language the package's words are shown in now."""
    if _state["language"] is None:
        set_language()
    return _state["language"]


def _translation() -> gettext.NullTranslations:
    if _state["translation"] is None:
        set_language()
    return _state["translation"]


def _(template: str) -> str:
    """``template`` in the current language (unchanged where the catalogue has no entry)."""
    return _translation().gettext(template)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The template for ``n`` things in the current language, by its catalogue's plural rule."""
    return _translation().ngettext(singular, plural, n)


def N_(template: str) -> str:
    """Mark ``template`` for the catalogue without translating it yet (translated where used)."""
    return template
