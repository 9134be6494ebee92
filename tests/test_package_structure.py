"""The package's shape, read from its sources with ``ast``: its imports form no cycle, and no
module uses another module's private (underscore) names."""
import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dwconv_utils"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import statement of module ``name``,
    at any depth (imports inside functions count too); only modules of this package."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "dwconv_utils":
                continue
            names = [a.name for a in node.names]
            # "from . import checks" imports modules, not names.
            submodules = [n for n in names if f"{target}.{n}" in MODULES]
            found += [(f"{target}.{n}", []) for n in submodules]
            rest = [n for n in names if n not in submodules]
            if rest or not submodules:
                found.append((target, rest))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.split(".")[0] == "dwconv_utils"]
    return found


def graph() -> dict[str, set[str]]:
    return {name: {target for target, _ in imports(name) if target in MODULES and target != name}
            for name in MODULES}


def test_the_package_is_read():
    assert {"dwconv_utils.cost", "dwconv_utils.seeds", "dwconv_utils.plots.training",
            "dwconv_utils.widgets.base", "dwconv_utils.__main__"} <= set(MODULES)


def test_imports_form_no_cycle():
    edges = graph()
    state, path = {}, []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == "open":
                cycle = path[path.index(target):] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_no_module_imports_a_private_name_or_module():
    offences = []
    for name in MODULES:
        for target, names in imports(name):
            private_module = any(part.startswith("_") and part != "__main__"
                                 for part in target.split(".")[1:])
            # "_" is gettext's lookup (i18n), public by the ecosystem's convention.
            private_names = [n for n in names if n.startswith("_") and n not in ("__version__", "_")]
            if private_module or private_names:
                offences.append(f"{name} imports {target} {private_names or ''}".strip())
    assert not offences, offences


def test_nothing_imports_the_command_line_module():
    users = [name for name, targets in graph().items() if "dwconv_utils.__main__" in targets]
    assert users == []


def test_the_checker_finds_a_planted_cycle_and_a_private_import(tmp_path, monkeypatch):
    # The checks above must be able to fail: plant both faults in a copy of two modules.
    fake = tmp_path / "dwconv_utils"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "a.py").write_text("from .b import helper\n")
    (fake / "b.py").write_text("def helper():\n    from .a import _secret\n")
    this = sys.modules[__name__]
    monkeypatch.setattr(this, "PACKAGE", fake)
    planted = {module_name(p): p for p in sorted(fake.rglob("*.py"))}
    monkeypatch.setattr(this, "MODULES", planted)
    with pytest.raises(pytest.fail.Exception, match="import cycle: dwconv_utils.a -> dwconv_utils.b"):
        test_imports_form_no_cycle()
    with pytest.raises(AssertionError, match="dwconv_utils.b imports dwconv_utils.a"):
        test_no_module_imports_a_private_name_or_module()
