"""The house rules of docs/DESIGN "Architecture", read from the source with ``ast``.

Layers: domain <- engine, ledger <- service (and policyci) <- server <- api, web, cli, app;
no import runs back up, Flask stays in the outer ring, role names live in domain/roles.py,
and no module grows past 400 lines. Every failure names the file, the line and the rule.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gatekeeper.domain.roles import CUSTOMER, ROLES

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "gatekeeper"

# -- the module graph ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Import:
    """One import statement's target, as the module it names, where it is written."""

    source: str  # the importing module, e.g. gatekeeper.web.common
    file: str  # its path below the repository, e.g. gatekeeper/web/common.py
    line: int
    target: str  # a project module (gatekeeper.server.errors) or a top-level distribution
    module_level: bool  # False inside a function: it runs when called, not when imported

    def __str__(self) -> str:
        where = "" if self.module_level else " (inside a function)"
        return f"{self.file}:{self.line}: {self.source} imports {self.target}{where}"


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Module name -> file of every module of the package (a package is its __init__.py)."""
    out: dict[str, Path] = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _targets(node: ast.Import | ast.ImportFrom, source: str, is_package: bool,
             modules: Iterable[str]) -> list[str]:
    known = set(modules)
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative: resolve against the importing package
            package = source.split(".") if is_package else source.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                 for a in node.names]
    out = []
    for name in names:
        if name.split(".")[0] != PACKAGE:
            name = name.split(".")[0]  # a third-party or standard distribution
        else:
            while name not in known and "." in name:  # gatekeeper.x.y where y is a name
                name = name.rpartition(".")[0]
        if name not in out:
            out.append(name)
    return out


def imports_of(source: str, path: Path, modules: Iterable[str], root: Path = ROOT
               ) -> list[Import]:
    """Every import in one module, noting which run at import time (module level)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    file = path.relative_to(root).as_posix()
    found: list[Import] = []

    def walk(node: ast.AST, module_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                for target in _targets(child, source, path.name == "__init__.py", modules):
                    found.append(Import(source, file, child.lineno, target, module_level))
            inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            walk(child, module_level and not inner)

    walk(tree, True)
    return found


def project_imports(root: Path = ROOT) -> list[Import]:
    modules = module_files(root)
    return [imp for name, path in modules.items() for imp in imports_of(name, path, modules, root)]


def cycles(edges: Iterable[Import]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if edge.target.startswith(PACKAGE) and edge.target != edge.source:
            graph.setdefault(edge.source, set()).add(edge.target)
            graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
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
            connect(node)
    return found


def describe_cycles(edges: list[Import]) -> list[str]:
    out = []
    for group in cycles(edges):
        inside = [str(e) for e in edges if e.source in group and e.target in group]
        out.append("import cycle between " + ", ".join(group) + ":\n    " + "\n    ".join(inside))
    return out


def test_no_import_cycle_at_module_level() -> None:
    edges = [e for e in project_imports() if e.module_level]
    problems = describe_cycles(edges)
    assert not problems, "\n".join(problems)


def test_no_import_cycle_even_counting_imports_inside_functions() -> None:
    """Imports inside functions (app factory, CLI commands) may not hide a cycle either."""
    edges = project_imports()
    assert any(not e.module_level for e in edges), "the deferred imports were not seen"
    problems = describe_cycles(edges)
    assert not problems, "\n".join(problems)


# -- the layers ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class LayerRule:
    """Modules under ``sources`` (but not ``exempt``) import only ``allowed`` (when given)
    and none of ``forbidden``."""

    name: str
    sources: tuple[str, ...]
    allowed: tuple[str, ...] | None = None
    forbidden: tuple[str, ...] = ()
    exempt: tuple[str, ...] = ()

    def applies(self, module: str) -> bool:
        return under(module, self.sources) and not under(module, self.exempt)

    def breaks(self, target: str) -> bool:
        if under(target, self.forbidden):
            return True
        project = target.split(".")[0] == PACKAGE
        return self.allowed is not None and project and not under(target, self.allowed)


def under(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _gk(*names: str) -> tuple[str, ...]:
    return tuple(f"{PACKAGE}.{n}" for n in names)


WEB_FRAMEWORKS = ("flask", "flask_wtf", "werkzeug")
OUTER_RING = _gk("app", "server", "api", "web", "cli")
LAYER_RULES = (
    LayerRule("domain imports nothing of the project outside domain, nor Flask or SQLAlchemy",
              _gk("domain"), allowed=_gk("domain"),
              forbidden=(*WEB_FRAMEWORKS, "sqlalchemy", "alembic")),
    LayerRule("engine imports only domain (and itself)", _gk("engine"),
              allowed=_gk("domain", "engine")),
    LayerRule("ledger imports only domain (and itself)", _gk("ledger"),
              allowed=_gk("domain", "ledger")),
    LayerRule("settings imports only domain", _gk("settings"), allowed=_gk("domain", "settings")),
    LayerRule("the composition root never imports server, api, web, cli or app",
              _gk("bootstrap"), forbidden=OUTER_RING),
    LayerRule("service never imports the composition root, server, api, web, cli or app",
              _gk("service"), forbidden=(*OUTER_RING, *_gk("bootstrap"))),
    LayerRule("policyci is service level: never imports bootstrap, server, api, web, cli, app",
              _gk("policyci"), forbidden=(*OUTER_RING, *_gk("bootstrap"))),
    LayerRule("server never imports a door (api, web, cli) nor app", _gk("server"),
              forbidden=_gk("api", "web", "cli", "app")),
    LayerRule("api never imports web", _gk("api"), forbidden=_gk("web")),
    LayerRule("web never imports api", _gk("web"), forbidden=_gk("api")),
    LayerRule("flask, flask_wtf and werkzeug only in app.py, server/, api/, web/ and cli/",
              (PACKAGE,), forbidden=WEB_FRAMEWORKS, exempt=OUTER_RING),
)

# Imports that break a rule today and are not fixed here, each with why; an entry that no
# longer occurs fails the stale-entry test so that this list only ever shrinks.
# The engines encode their input with the shared orjson helper at the package root.
KNOWN_LAYER_EXCEPTIONS: set[tuple[str, str]] = {
    ("gatekeeper.engine.regorus_engine", "gatekeeper.jsontext"),
    ("gatekeeper.engine.rvm_engine", "gatekeeper.jsontext"),
}


def layer_problems(edges: Iterable[Import], rules: Iterable[LayerRule] = LAYER_RULES,
                   known: Iterable[tuple[str, str]] = ()) -> list[str]:
    allowed = set(known)
    return [f"{edge}: breaks '{rule.name}'"
            for rule in rules for edge in edges
            if rule.applies(edge.source) and rule.breaks(edge.target)
            and (edge.source, edge.target) not in allowed]


def test_every_import_respects_the_layers() -> None:
    problems = layer_problems(project_imports(), known=KNOWN_LAYER_EXCEPTIONS)
    assert not problems, "\n".join(problems)


def test_known_layer_exceptions_still_exist() -> None:
    edges = {(e.source, e.target) for e in project_imports()}
    stale = [f"{s} -> {t}" for s, t in KNOWN_LAYER_EXCEPTIONS if (s, t) not in edges]
    assert not stale, "remove from KNOWN_LAYER_EXCEPTIONS: " + ", ".join(stale)


def test_the_doors_share_the_server_package_and_not_each_other() -> None:
    edges = project_imports()
    for door in _gk("api", "web"):
        assert any(under(e.source, (door,)) and under(e.target, _gk("server")) for e in edges), (
            f"{door} does not use gatekeeper.server")


# -- role names -------------------------------------------------------------------------------

ROLES_HOME = "gatekeeper/domain/roles.py"
SPELLED = frozenset(ROLES) - {CUSTOMER}  # never a word of anything else in this code base


def _is_str(node: ast.AST | None, value: str | frozenset[str]) -> bool:
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return False
    return node.value == value if isinstance(value, str) else node.value in value


def _mentions_role(node: ast.AST) -> bool:
    """``role``, ``who.role``, ``MSP_ROLES``, ``ident["role"]``, ``ident.get("role")``."""
    if isinstance(node, ast.Name):
        return "role" in node.id.lower() or "staff" in node.id.lower()
    if isinstance(node, ast.Attribute):
        return "role" in node.attr.lower()
    if isinstance(node, ast.Starred):
        return _mentions_role(node.value)
    if isinstance(node, ast.Subscript):
        return _is_str(node.slice, "role")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "get" and bool(node.args) and _is_str(node.args[0], "role")
    return False


def _customers_in(node: ast.AST | None) -> Iterator[ast.Constant]:
    for sub in ast.walk(node) if node is not None else ():
        if isinstance(sub, ast.Constant) and _is_str(sub, CUSTOMER):
            yield sub


def _customer_as_role(node: ast.AST) -> Iterator[ast.Constant]:
    """The ``"customer"`` constants below ``node`` that stand for the role."""
    if isinstance(node, ast.Compare):
        sides = [node.left, *node.comparators]
        if any(_mentions_role(s) for s in sides):
            for side in sides:
                yield from _customers_in(side)
    elif isinstance(node, ast.keyword) and node.arg and "role" in node.arg.lower():
        yield from _customers_in(node.value)
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if _is_str(key, "role"):
                yield from _customers_in(value)
    elif isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(_mentions_role(t) for t in targets):
            yield from _customers_in(node.value)
    elif isinstance(node, ast.Call):
        if _mentions_role(node):  # ident.get("role", "customer")
            for value in node.args[1:]:
                yield from _customers_in(value)
        if isinstance(node.func, ast.Name) and node.func.id == "Principal" and len(node.args) > 1:
            yield from _customers_in(node.args[1])
    elif isinstance(node, ast.arguments):
        positional = [*node.posonlyargs, *node.args]
        pairs = [*zip(positional[len(positional) - len(node.defaults):], node.defaults,
                      strict=True), *zip(node.kwonlyargs, node.kw_defaults, strict=True)]
        for arg, default in pairs:
            if "role" in arg.arg.lower():
                yield from _customers_in(default)
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        customers = [e for e in node.elts if isinstance(e, ast.Constant) and _is_str(e, CUSTOMER)]
        if customers and any(_is_str(e, SPELLED) or _mentions_role(e) for e in node.elts):
            yield from customers


def role_literal_problems(file: str, source: str) -> list[str]:
    """Where ``source`` spells a role name instead of reading it from domain/roles.py."""
    found: set[tuple[int, str]] = set()
    for node in ast.walk(ast.parse(source, filename=file)):
        if isinstance(node, ast.Constant) and _is_str(node, SPELLED):
            found.add((node.lineno, f"the role name {node.value!r} is spelled out"))
        for hit in _customer_as_role(node):
            found.add((hit.lineno, "'customer' is used as a role"))
    return [f"{file}:{line}: {what}; use gatekeeper.domain.roles" for line, what in sorted(found)]


def _python_files() -> list[tuple[str, str]]:
    return [(p.relative_to(ROOT).as_posix(), p.read_text(encoding="utf-8"))
            for p in sorted((ROOT / PACKAGE).rglob("*.py"))]


def test_role_names_live_only_in_domain_roles() -> None:
    problems = [problem for file, text in _python_files()
                if file != ROLES_HOME
                for problem in role_literal_problems(file, text)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("source", "caught"), [
    ('DEFAULT = "engineer"', True),
    ('ROLES = ("admin", "approver")', True),
    ('if who.role != "customer":\n    pass', True),
    ('ok = role in ("customer",)', True),
    ('Principal("sub", "customer", "acme")', True),
    ('make(role="customer")', True),
    ('x = {"subject": s, "role": "customer"}', True),
    ('role = "customer" if org else DEFAULT', True),
    ('r = ident.get("role", "customer")', True),
    ('VIEWERS = ("customer", *MSP_STAFF)', True),
    ('def f(role: str = "customer") -> None: ...', True),
    ('body = {"customer": cid, "environment": env}', False),
    ('label(state, "customer")', False),
    ('search(who, {"customer": c["id"]})', False),
    ('"full_admin"', False),
])
def test_the_role_check_tells_a_role_from_the_customer_field(source: str, caught: bool) -> None:
    assert bool(role_literal_problems("x.py", source)) is caught


# -- module size ------------------------------------------------------------------------------

MAX_LINES = 400
# Modules over the limit today, with their size then; none at the time of writing.
KNOWN_LONG_MODULES: dict[str, int] = {}


def test_no_module_is_longer_than_400_lines() -> None:
    problems = []
    for file, text in _python_files():
        lines = len(text.splitlines())
        limit = max(MAX_LINES, KNOWN_LONG_MODULES.get(file, 0))
        if lines > limit:
            problems.append(f"{file}:{lines}: {lines} lines, more than {limit}; split it")
    assert not problems, "\n".join(problems)


# -- the checks themselves fail when they should -------------------------------------------------

def _edge(source: str, target: str, line: int = 1) -> Import:
    return Import(source, source.replace(".", "/") + ".py", line, target, True)


def test_a_cycle_is_reported_with_its_lines() -> None:
    edges = [_edge("gatekeeper.a", "gatekeeper.b", 3), _edge("gatekeeper.b", "gatekeeper.a", 7),
             _edge("gatekeeper.b", "gatekeeper.c")]
    (problem,) = describe_cycles(edges)
    assert "gatekeeper/a.py:3" in problem and "gatekeeper/b.py:7" in problem


def test_a_layer_break_is_reported_with_its_line() -> None:
    edges = [_edge("gatekeeper.web.x", "gatekeeper.api.auth", 12),
             _edge("gatekeeper.domain.x", "flask", 4),
             _edge("gatekeeper.ledger.x", "gatekeeper.service.wiring", 5),
             _edge("gatekeeper.service.x", "gatekeeper.domain.roles", 6)]
    problems = layer_problems(edges)
    assert any(p.startswith("gatekeeper/web/x.py:12:") and "web never imports api" in p
               for p in problems)
    assert any(p.startswith("gatekeeper/domain/x.py:4:") for p in problems)
    assert any(p.startswith("gatekeeper/ledger/x.py:5:") for p in problems)
    assert not any(p.startswith("gatekeeper/service/x.py") for p in problems)
