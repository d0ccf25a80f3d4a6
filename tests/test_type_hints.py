"""Every public function of the service modules has type hints (issue #13), read from the source with `ast`.

Public: no leading underscore, at module level or a method of a public class (nested functions do not
count). Each needs a return annotation and an annotation on every parameter except a method's self/cls.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sociale_kaart"
MATCHING_SERVICES = (
    "booking",
    "volunteers",
    "requests",
    "queries",
    "mail",
    "states",
    "reasons",
    "account_events",
    "pool",
    "lifecycle",
    "privacy",
    "ranking",
)


def _checked_files():
    files = set(PACKAGE.glob("*/services.py"))
    files |= set((PACKAGE / "search").rglob("*.py")) | set((PACKAGE / "geo").rglob("*.py"))
    files |= {PACKAGE / "matching" / f"{name}.py" for name in MATCHING_SERVICES}
    return sorted(files)


def _parameters(function, is_method):
    args = function.args
    positional = args.posonlyargs + args.args
    found = positional + args.kwonlyargs + [arg for arg in (args.vararg, args.kwarg) if arg is not None]
    if is_method and positional and positional[0].arg in ("self", "cls"):
        is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list)
        if not is_static:
            found = found[1:]
    return found


def missing_hints(source, name="<source>"):
    """Return "name:line function(...)" for each public function lacking a return or parameter annotation."""
    found = []

    def visit(body, is_method):
        for node in body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                visit(node.body, True)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
                bare = [arg.arg for arg in _parameters(node, is_method) if arg.annotation is None]
                if node.returns is None:
                    bare.append("return")
                if bare:
                    found.append(f"{name}:{node.lineno} {node.name}: no hint for {', '.join(bare)}")

    visit(ast.parse(source).body, False)
    return found


def test_the_service_modules_are_found():
    names = {path.relative_to(PACKAGE).as_posix() for path in _checked_files()}
    assert {"matching/booking.py", "matching/ranking.py", "search/__init__.py", "geo/__init__.py"} <= names
    assert any(name.endswith("/services.py") for name in names)
    assert all((PACKAGE / name).exists() for name in names)


def test_every_public_function_of_the_service_modules_has_type_hints():
    found = []
    for path in _checked_files():
        found += missing_hints(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert found == []


def test_the_checker_sees_missing_hints():
    source = (
        "def typed(a: int, *args: str, b: int = 1, **kw: object) -> None: ...\n"
        "def no_return(a: int): ...\n"
        "def bare(a, *, b: int) -> int: ...\n"
        "def varargs(*args, **kwargs) -> None: ...\n"
        "def _private(a): ...\n"
        "class Public:\n"
        "    def method(self, a: int) -> None: ...\n"
        "    @classmethod\n"
        "    def make(cls) -> 'Public': ...\n"
        "    def untyped(self, a): ...\n"
        "    def _hidden(self, a): ...\n"
        "    @staticmethod\n"
        "    def static(self) -> None: ...\n"
        "class _Private:\n"
        "    def method(self, a): ...\n"
    )
    assert missing_hints(source, "m") == [
        "m:2 no_return: no hint for return",
        "m:3 bare: no hint for a",
        "m:4 varargs: no hint for args, kwargs",
        "m:10 untyped: no hint for a, return",
        "m:13 static: no hint for self",
    ]
