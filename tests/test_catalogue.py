"""The message catalogue: in step with the sources, fields intact, nothing user-facing around it."""
import ast
import importlib
import sys
from pathlib import Path

import pytest

from dwconv_utils import findings, i18n
from dwconv_utils.i18n import CATALOGUED, LOCALE_DIR, set_language
from dwconv_utils.tables import Table, display_width

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import catalogue  # noqa: E402

TRANSLATING = {"_", "N_", "ngettext"}


@pytest.fixture
def chinese():
    set_language("zh_CN")
    yield
    set_language("en")


def test_the_catalogues_are_in_step_with_the_sources():
    # Names each stale, missing, fuzzy or untranslated entry with where it stands in the code.
    assert catalogue.problems() == []


def test_a_changed_sentence_shows_as_stale(monkeypatch):
    real = catalogue.extracted

    def edited():
        catalog = real()
        catalog.add("A new sentence about {thing}.", locations=[("dwconv_utils/findings.py", 1)])
        return catalog
    monkeypatch.setattr(catalogue, "extracted", edited)
    found = catalogue.problems()
    assert any("missing 'A new sentence about {thing}.' (run extract)" in line for line in found)
    assert any("zh_CN" in line and "A new sentence" in line and "findings.py:1" in line for line in found)


def test_fields_must_match_the_english_spec_and_conversion_included():
    assert catalogue.fields("{first} is ahead by {difference:.2f} ({low:+.2f})") == [
        ("difference", ".2f", None), ("first", "", None), ("low", "+.2f", None)]
    assert catalogue.fields("literal {{braces}} and {name!r}") == [("name", "", "r")]
    assert catalogue.field_problem("{a:.2f} points", "{a:.2f} 个百分点") is None
    assert "differ from the English" in catalogue.field_problem("{a:.2f} points", "{a:.1f} 个百分点")
    assert "differ from the English" in catalogue.field_problem("{a} and {b}", "{a}")
    assert "without a name" in catalogue.field_problem("{a}", "{} 和 {a}")
    assert "Single '}'" in catalogue.field_problem("{a}", "{a}}")


def test_a_compiled_catalogue_is_compared_by_meaning_not_bytes(tmp_path):
    path = catalogue.po_path("zh_CN")
    catalog = catalogue.read(path, "zh_CN")
    (tmp_path / "x.mo").write_bytes(catalogue.mo_bytes(catalog))
    assert catalogue.compiled_messages(tmp_path / "x.mo") == catalogue.po_messages(catalog)
    entry = next(m for m in catalog if m.id == "yes")
    entry.string = "对"
    assert catalogue.compiled_messages(tmp_path / "x.mo") != catalogue.po_messages(catalog)


def _user_facing_strings(module: str):
    """String constants of two or more words, outside docstrings and outside _/N_/ngettext; and
    any _/N_/ngettext whose argument is not one plain string (an f-string or a sum is left out
    of the catalogue by the extractor, and its words never get translated)."""
    tree = ast.parse(catalogue.module_path(module).read_text(encoding="utf-8"))
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            if node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
                skip.add(id(node.body[0].value))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in TRANSLATING:
            for arg in node.args[:2 if node.func.id == "ngettext" else 1]:
                if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)) and not (
                        node.func.id == "_" and isinstance(arg, (ast.Subscript, ast.Name, ast.Attribute))):
                    yield node.lineno, ast.unparse(arg)
            skip.update(id(n) for arg in node.args for n in ast.walk(arg))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            words = [w for w in node.value.split() if any(c.isalpha() for c in w)]
            if len(words) >= 2:
                yield node.lineno, node.value


@pytest.mark.parametrize("module", CATALOGUED)
def test_no_user_facing_sentence_bypasses_the_catalogue(module):
    assert list(_user_facing_strings(module)) == []


def test_the_bypass_check_finds_a_bare_sentence(tmp_path, monkeypatch):
    (tmp_path / "bare.py").write_text('"""Docstrings are fine."""\nx = _("wrapped is fine")\n'
                                      'y = "a bare sentence"\nkey = "stable_key"\n'
                                      'z = _(f"an f-string {x}")\nw = _(TEMPLATES[key])\n')
    monkeypatch.setattr(catalogue, "module_path", lambda module: tmp_path / "bare.py")
    assert sorted(_user_facing_strings("bare")) == [(3, "a bare sentence"), (5, "f'an f-string {x}'")]


def test_the_language_switch(chinese, monkeypatch):
    comparison = findings.Comparison("A", "B", "test_accuracy",
                                     findings.stats.Interval(1.0, 0.5, 1.5, 5, 5, 8.0, "welch"), "ahead")
    assert findings.say(comparison).startswith("在测试集上，A 领先 B 1.00 个百分点")
    set_language("en")
    assert findings.say(comparison).startswith("A is ahead of B on the test set by 1.00 points")
    monkeypatch.setenv(i18n.LANGUAGE_ENV, "zh_CN")
    assert set_language() == "zh_CN" and i18n.language() == "zh_CN"
    with pytest.raises(ValueError, match="language 必须是 'en', 'zh_CN' 之一"):
        set_language("fr")


def test_the_compiled_catalogues_are_package_data():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["dwconv_utils"]
    package = ROOT / "dwconv_utils"
    shipped = {p for pattern in patterns for p in package.glob(pattern)}
    assert set(LOCALE_DIR.rglob("*.mo")) <= shipped and set(LOCALE_DIR.rglob("*.po")) <= shipped
    assert any(p.suffix == ".mo" for p in shipped)


def test_tables_align_by_display_width(chinese):
    table = Table(["run", "n"], [{"run": "标准卷积", "n": 5}, {"run": "separable", "n": 12}],
                  numeric=("n",), labels={"run": "运行", "n": "种子数"})
    lines = str(table).splitlines()
    assert display_width("标准卷积") == 8 and lines[0].startswith("运行")
    # Every line ends in the same column: CJK characters count two.
    assert len({display_width(line) for line in (lines[0], lines[2], lines[3])}) == 1
    assert "<th style=\"text-align:left;\">运行</th>" in table._repr_html_()
    assert table.columns == ["run", "n"] and table.rows[0]["run"] == "标准卷积"


def test_importing_the_package_leaves_english_unless_asked(monkeypatch):
    monkeypatch.delenv(i18n.LANGUAGE_ENV, raising=False)
    importlib.reload(i18n)
    assert i18n.language() == "en" and i18n._("yes") == "yes"


def test_argument_errors_speak_the_readers_language(chinese):
    from dwconv_utils import checks
    with pytest.raises(ValueError, match=r"^epochs 必须是正整数（>= 1），收到的是 0$"):
        checks.positive_int("epochs", 0)
    set_language("en")
    with pytest.raises(ValueError, match=r"^epochs must be a positive integer \(>= 1\), got 0$"):
        checks.positive_int("epochs", 0)


def test_a_column_added_after_the_table_is_made_shows_its_key():
    table = Table(["a"], [{"a": 1, "b": 2}], labels={"a": "A"})
    table.columns.insert(1, "b")
    assert str(table).splitlines()[0].split() == ["A", "b"] and table.labels == {"a": "A", "b": "b"}
