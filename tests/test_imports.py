"""Imports flow one way (docs/STYLE.md, issue #13), read from the source with `ast`.

Every import counts, also one inside a function: a circle hidden in a function is still a circle.
- Within each package, no import circle between its modules (a subpackage counts as one module).
- No module uses another module's underscore names (`from .x import _name`, `x._name`).
- Layers: adapters (geo, search, notify) and the shared plumbing (transactions, clock, …) import
  no capability; accounts imports no capability
  above it, directory none above it, matching none above it; nothing imports a `views` module
  except create_app, which registers the blueprints.
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "sociale_kaart"

# Layers from the bottom (docs/STYLE.md): a package may import its own layer and those below it.
ADAPTERS = ("geo", "search", "notify")
# Shared plumbing under every capability: imports no capability either.
PLUMBING = ("transactions", "clock", "errors", "extensions", "params", "fragments")
CAPABILITIES = (
    "accounts",
    "directory",
    "matching",
    "signals",
    "insights",
    "workspace",
    "api",
    "admin",
    "web",
    "ops",
    "lists",
)
LAYERS = {
    "accounts": 1,
    "directory": 2,
    "matching": 3,
    # the rest act through the services above
    "signals": 4,
    "insights": 4,
    "workspace": 4,
    "api": 4,
    "admin": 4,
    "web": 4,
    "ops": 4,
    "lists": 4,  # lists to hand over and the wegwijzer (issue #19)
}


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules():
    """Return {dotted module name: path} of every module of the package."""
    return {_module_name(path): path for path in sorted((ROOT / PACKAGE).rglob("*.py"))}


MODULES = _modules()


def _is_package(name):
    return (ROOT / Path(*name.split(".")) / "__init__.py").exists()


def _resolve(name):
    """Return the package module that `import name` loads last (the name itself, or its longest module prefix)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


class _Imports(ast.NodeVisitor):
    """Collect a module's imports of the package (at any depth) and its uses of other modules' private names."""

    def __init__(self, name):
        self.name = name
        self.package = name if _is_package(name) else name.rpartition(".")[0]
        self.targets = []  # (line, imported module)
        self.private = []  # (line, text)
        self.aliases = {}  # local name -> package module it stands for

    def _base(self, node):
        if node.level == 0:
            return node.module or ""
        parts = self.package.split(".")
        base = parts[: len(parts) - (node.level - 1)]
        return ".".join(base + ([node.module] if node.module else []))

    def visit_Import(self, node):
        for alias in node.names:
            target = _resolve(alias.name)
            if target is not None and alias.name.startswith(PACKAGE):
                self.targets.append((node.lineno, target))
                if alias.asname:
                    self.aliases[alias.asname] = target
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        base = self._base(node)
        if not base.startswith(PACKAGE):
            return
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            if submodule in MODULES:
                self.targets.append((node.lineno, submodule))
                self.aliases[alias.asname or alias.name] = submodule
                continue
            target = _resolve(base)
            if target is not None:
                self.targets.append((node.lineno, target))
            if alias.name.startswith("_") and not alias.name.startswith("__") and target != self.name:
                self.private.append((node.lineno, f"from {base} import {alias.name}"))

    def visit_Attribute(self, node):
        if (
            isinstance(node.value, ast.Name)
            and node.value.id in self.aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and self.aliases[node.value.id] != self.name
        ):
            self.private.append((node.lineno, f"{node.value.id}.{node.attr}"))
        self.generic_visit(node)


def _scan(name):
    visitor = _Imports(name)
    visitor.visit(ast.parse(MODULES[name].read_text(encoding="utf-8"), filename=str(MODULES[name])))
    return visitor


SCANS = {name: _scan(name) for name in MODULES}


def _packages():
    return sorted(name for name in MODULES if _is_package(name))


def _child(package, module):
    """Return the direct child of `package` that `module` is or lies in, or None when it lies outside."""
    prefix = package + "."
    if not module.startswith(prefix):
        return None
    return module[len(prefix) :].split(".")[0]


def _graph(package):
    """Return {child: {child it imports: first line}} between the direct children of a package."""
    graph = defaultdict(dict)
    for name, scan in SCANS.items():
        source = _child(package, name)
        if source is None:
            continue
        for line, target in scan.targets:
            child = _child(package, target)
            if child is not None and child != source:
                graph[source].setdefault(child, f"{name}:{line}")
    return graph


def _circle(graph):
    """Return one import circle as a list of nodes, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


@pytest.mark.parametrize("package", _packages())
def test_no_import_circle_within_a_package(package):
    graph = _graph(package)
    circle = _circle(graph)
    where = [graph[a][b] for a, b in zip(circle, circle[1:], strict=False)] if circle else []
    assert circle is None, f"import circle in {package}: {' -> '.join(circle)} (at {', '.join(where)})"


def test_no_module_uses_another_modules_private_names():
    found = sorted(f"{name}:{line}: {text}" for name, scan in SCANS.items() for line, text in scan.private)
    assert found == []


def _layer_violations():
    found = []
    for name, scan in SCANS.items():
        source = _child(PACKAGE, name)
        for line, target in scan.targets:
            goal = _child(PACKAGE, target)
            if goal is None or goal == source:
                continue
            if source in ADAPTERS + PLUMBING and goal in CAPABILITIES:
                found.append(f"{name}:{line}: {source} (under every capability) imports the capability {goal}")
            elif source in LAYERS and goal in LAYERS and LAYERS[goal] > LAYERS[source]:
                found.append(f"{name}:{line}: {source} imports {goal}, a layer above it")
        for line, target in scan.targets:
            if target.endswith(".views") and name != PACKAGE and target.rpartition(".")[0] != name:
                found.append(f"{name}:{line}: imports {target} (only create_app registers blueprints)")
    return sorted(found)


def test_imports_go_down_the_layers():
    assert _layer_violations() == []


# --- the checker itself -----------------------------------------------------------------------------------


def test_the_checker_sees_imports_inside_functions_and_resolves_relative_ones():
    scan = _scan("sociale_kaart.matching.seed") if "sociale_kaart.matching.seed" in MODULES else None
    assert scan is not None
    tree = ast.parse("def f():\n    from . import booking\n    from ..accounts.models import User\n")
    visitor = _Imports("sociale_kaart.matching.requests")
    visitor.visit(tree)
    assert [target for _line, target in visitor.targets] == [
        "sociale_kaart.matching.booking",
        "sociale_kaart.accounts.models",
    ]


def test_the_checker_finds_a_circle_and_private_names():
    assert _circle({"a": {"b": ""}, "b": {"c": ""}, "c": {"a": ""}}) == ["a", "b", "c", "a"]
    assert _circle({"a": {"b": ""}, "b": {}}) is None
    visitor = _Imports("sociale_kaart.matching.lifecycle")
    visitor.visit(ast.parse("from . import booking\nfrom .booking import _cancel\nbooking._mark_done(1)\n"))
    assert [text for _line, text in visitor.private] == [
        "from sociale_kaart.matching.booking import _cancel",
        "booking._mark_done",
    ]
