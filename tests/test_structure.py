"""The code's structure as a rule: who may do what is written once (domain/actors.py),
the domain's vocabularies and the commitment hash live in the domain, and the verifier
auditors run needs nothing but the standard library and cryptography."""

import ast
import subprocess
import sys
from pathlib import Path

from casefiles.domain import actors

PACKAGE = Path(__file__).resolve().parent.parent / "casefiles"
ROLE_NAMES = {"DOCUMENTER", "SUPERVISOR", "LEGAL_REVIEWER", "AUDITOR", "SYSTEM"}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_role_group(node: ast.AST) -> bool:
    """A tuple, list or set literal of two or more role constants: a copied roles list."""
    if not isinstance(node, ast.Tuple | ast.List | ast.Set):
        return False
    names = [elt.id for elt in node.elts if isinstance(elt, ast.Name)]
    return len(node.elts) >= 2 and len(names) == len(node.elts) and set(names) <= ROLE_NAMES


def test_role_groups_are_declared_in_the_roles_table_only():
    copies = []
    for path in modules():
        if path == PACKAGE / "domain" / "actors.py":
            continue
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.Assign) and _is_role_group(node.value):
                copies.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not copies, f"role groups defined outside domain/actors.py: {copies}"


def test_every_command_asks_the_roles_table():
    """Each authorize("…") names an entry of PERMISSIONS (a typo would be a 500), and no
    command passes its own list of roles to role_for."""
    unknown, inline = [], []
    for path in modules():
        for node in ast.walk(parsed(path)):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            if node.func.attr == "authorize" and node.args:
                arg = node.args[0]
                keys = []
                if isinstance(arg, ast.Constant):
                    keys = [arg.value]
                elif isinstance(arg, ast.JoinedStr):  # f"transition_{verb}"
                    prefix = "".join(v.value for v in arg.values if isinstance(v, ast.Constant))
                    keys = [k for k in actors.PERMISSIONS if k.startswith(prefix)] or [prefix]
                unknown += [f"{where} {key}" for key in keys if key not in actors.PERMISSIONS]
            if node.func.attr == "role_for" and path.parts[-2] == "commands":
                inline.append(where)
    assert not unknown, f"authorize() with a name missing from PERMISSIONS: {unknown}"
    assert not inline, f"commands passing their own roles to role_for: {inline}"


def test_the_verifier_and_the_command_share_one_commitment_rule():
    from casefiles import verify_export
    from casefiles.commands import persons
    from casefiles.domain import hashing

    assert verify_export.identity_commitment is hashing.identity_commitment
    assert persons.identity_commitment is hashing.identity_commitment


def test_vocabularies_are_read_from_the_domain_not_the_commands():
    """The admin, the API and the export read rules and vocabularies from the domain;
    they call commands, and import nothing else from them."""
    allowed_from_commands = set()
    for path in (PACKAGE / "commands").glob("*.py"):
        for node in parsed(path).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                allowed_from_commands.add(node.name)
    allowed_from_commands |= {"Outcome"}
    borrowed = []
    for package in ("admin", "api", "export"):
        for path in (PACKAGE / package).rglob("*.py"):
            for node in ast.walk(parsed(path)):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "casefiles.commands."
                ):
                    borrowed += [
                        f"{path.relative_to(PACKAGE)}: {alias.name}"
                        for alias in node.names
                        if alias.name not in allowed_from_commands or alias.name.isupper()
                    ]
    assert not borrowed, f"constants taken from the command layer: {borrowed}"


def test_the_verifier_imports_without_django():
    """Auditors run the verifier with the standard library and cryptography only."""
    code = (
        "import sys, casefiles.verify_export; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('django', 'rest_framework', 'celery', 'reportlab') or m == 'casefiles.models'); "
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_the_domain_imports_without_django():
    """The domain holds rules only: importing every module of it loads no Django."""
    names = sorted(
        f"casefiles.domain.{p.stem}"
        for p in (PACKAGE / "domain").glob("*.py")
        if p.stem != "__init__"
    )
    code = (
        f"import sys, importlib; [importlib.import_module(n) for n in {names!r}]; "
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'django')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


# --- Import structure ----------------------------------------------------------------
# Each subpackage of casefiles and each top-level module is one component. The entry
# points (admin, API, Celery tasks, management commands, URL configuration) call
# commands and selectors; they never import each other, and nothing below them imports
# them.
ENTRY_POINTS = {"casefiles.admin", "casefiles.api", "casefiles.tasks", "casefiles.management"}
# What the write path and the layers under it may never import.
BELOW_ENTRY_POINTS = {
    "casefiles.commands",
    "casefiles.domain",
    "casefiles.export",
    "casefiles.ingestion",
    "casefiles.selectors",
    "casefiles.projections",
    "casefiles.eventstore",
    "casefiles.models",
}


def component(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "casefiles" or len(parts) < 2:
        return None
    if (PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").is_file():
        return f"casefiles.{parts[1]}"
    return None


def import_graph() -> dict[str, dict[str, list[str]]]:
    """component -> imported component -> where (every import, also inside functions)."""
    graph: dict[str, dict[str, list[str]]] = {}
    for path in modules():
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        source = component(name.removesuffix(".__init__"))
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in {component(t) for t in targets} - {None, source}:
                graph.setdefault(source, {}).setdefault(target, []).append(
                    f"{path.relative_to(PACKAGE)}:{node.lineno}"
                )
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_between_components():
    graph = import_graph()
    found = cycles(graph)
    detail = [
        {a: {b: where[:2] for b, where in graph[a].items() if b in group} for a in group}
        for group in found
    ]
    assert not found, f"import circles: {detail}"


def test_entry_points_do_not_import_each_other_and_nothing_below_imports_them():
    graph = import_graph()
    wrong = []
    for source, targets in graph.items():
        for target, where in targets.items():
            if target not in ENTRY_POINTS:
                continue
            if source in ENTRY_POINTS or source in BELOW_ENTRY_POINTS:
                wrong.append(f"{source} -> {target} ({', '.join(where)})")
    assert not wrong, f"imports of an entry point's internals: {wrong}"


def test_the_cycle_finder_finds_a_cycle():
    """The structure tests above would pass vacuously if cycles() never found one."""
    graph = {"a": {"b": []}, "b": {"c": []}, "c": {"a": []}, "d": {"a": []}}
    assert cycles(graph) == [["a", "b", "c"]]


# Streams that are not cases (a source's custody stream, the transparency log's own
# stream) are appended to with write() directly: there is no case to lock or check.
NOT_CASE_STREAMS = {"ingestion.py", "log.py"}


def test_commands_open_through_one_helper():
    """The opening every command shares (role, replay, row lock, expected version,
    open for changes) is commands/base.py's begin(); a command repeating any part of it
    by hand is refused, and so is a write() to a case without it."""
    by_hand = []
    for path in sorted((PACKAGE / "commands").glob("*.py")):
        if path.name == "base.py":
            continue
        for node in ast.walk(parsed(path)):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            where = f"{path.name}:{node.lineno} {name}"
            if name in ("replayed", "check_expected", "check_writable", "role_for"):
                by_hand.append(where)
            elif any(k.arg == "lock" for k in node.keywords):
                by_hand.append(where)
            elif (
                isinstance(node.func, ast.Name)
                and name == "write"
                and path.name not in NOT_CASE_STREAMS
            ):
                by_hand.append(where)
    assert not by_hand, f"commands opening or writing by hand: {by_hand}"
