"""The package's design, checked: each layer imports only the layers below it, and no module
imports itself back through others (no import circles)."""

from __future__ import annotations

import ast
from pathlib import Path

import {{ cookiecutter.package_name }}

PACKAGE_DIR = Path({{ cookiecutter.package_name }}.__file__).resolve().parent
PACKAGE = PACKAGE_DIR.name
# What each part may import besides itself; the foundation modules import only each other.
FOUNDATION = {
    "config", "data_versions", "errors", "estimators", "gitinfo", "layout", "metrics",
    "run_lock", "schema", "thresholds", "tracking",
}  # fmt: skip
ALLOWED = {
    "foundation": set(),
    "serving": set(),
    "gates": set(),
    "monitoring": {"gates", "serving"},
    "batch": {"gates", "serving"},
    "stages": {"gates", "serving"},
    "pipeline": {"stages", "gates"},
    "bench": {"pipeline", "gates", "stages", "serving", "monitoring", "batch"},
    "release": {"serving"},
    "cli": {"pipeline", "stages", "gates", "serving", "bench", "release", "monitoring", "batch"},
    "__main__": {"cli"},
}
MAX_LINES = 250


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(path): path for path in PACKAGE_DIR.rglob("*.py")}


def part(module: str) -> str:
    head = module.split(".")[0]
    return "foundation" if head in FOUNDATION or head == "" else head


def imports(module: str, path: Path) -> set[str]:
    """The package's modules that `module` imports, at the top or inside functions."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            elif node.module and node.module.split(".")[0] == PACKAGE:
                target = node.module.partition(".")[2]
            else:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}" if target else alias.name
                found.add(sub if sub in MODULES else target)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    found.add(alias.name.partition(".")[2])
    return found - {module}


GRAPH = {module: imports(module, path) for module, path in MODULES.items()}


def test_every_import_points_down_the_layers() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if part(target) != part(module)
        and part(target) != "foundation"
        and part(target) not in ALLOWED[part(module)]
    ]
    assert wrong == []


def test_no_import_circles() -> None:
    circles = []
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == "open":
                circles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_modules_stay_small() -> None:
    long = {
        module: lines
        for module, path in MODULES.items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_checker_sees_the_imports() -> None:
    """The checks above would pass on an empty graph: prove it reads real imports."""
    assert "config" in GRAPH["stages.train"]
    assert "serving.names" in GRAPH["serving.service"]
    assert {"pipeline", "serving", "release"} <= {part(target) for target in GRAPH["cli"]} | {
        part(target) for name in MODULES if name.startswith("cli.") for target in GRAPH[name]
    }
