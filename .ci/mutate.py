#!/usr/bin/env python3
"""Mutation testing for one module against the tests that claim to cover it. Stdlib only.

    python .ci/mutate.py bot/render.py --tests tests/test_render.py tests/golden

Why: a suite can be broad and still check only that output is *valid*, not *what it says*.
A mutant is the module with one small change (a flipped comparison, a swapped operator, a
changed constant, a negated `if`, a replaced return value). If the related tests still pass,
nothing pins that behaviour. The kill rate is the share of mutants some test notices.

How: the project is copied once per worker into a temporary directory (the source tree is
never written; its file is hashed before and after to prove it). Each mutant is made on the
module's AST and unparsed; a fork server (below) collects the tests once and runs them for
each mutant in a forked child that patches the mutant in, with `pytest -x -q -p
no:cacheprovider` and a per-mutant timeout. `--no-fork` instead writes each mutant over the
copy's file and starts a fresh `pytest` (slower, and exact for values other modules copy at
import). Byte-code is never written, so a mutant is never shadowed by a stale `.pyc`.

What is mutated: executable code only. Docstrings and other bare string statements, logging
calls, `assert` statements, statements marked `pragma: no cover`, type annotations
(`Literal[...]`, `cast`'s type, `if TYPE_CHECKING:` blocks), decorators, lambdas and `__all__`
are left alone.

Equivalent mutants (no test could tell them apart from the original) are listed in
`EQUIVALENT` below, keyed by the mutant's stable id (printed with each survivor; the id names
the function and the change, not the line, so it survives edits elsewhere), each with the
reason. They are not run and do not count. `--allow FILE` adds a JSON object of the same shape.

Exit status: 0 when the score reaches `--min-score` (default 0, i.e. report only), 1 when
not, 2 when the unmutated tests fail (nothing can be measured then).
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import copy
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Mutant id -> why no test can tell it from the original. Keep a reason with every entry.
EQUIVALENT: dict[str, str] = {
    # bot/render.py
    "bot/render.py::<module>::constant::'[\\\\\\\\*_~`|<>\\\\[\\\\]@\\\\u0000-\\\\u0008\\\\u000b-"
    "\\\\u001f\\\\u007f\\\\u202a-\\\\u2… -> ''": "`_NEEDS_ESCAPE` only lets `escape` skip work: an "
    "empty pattern sends every text down the full path, whose output is the same (a property "
    "test holds `escape` and `_escape_all` equal)",
    "bot/render.py::truncate::constant::1 -> 2 #2": "`max(1, excess)`: the loop is entered with "
    "an excess of at least 2 (text over the limit, budget one below it) and ends after one pass",
    "bot/render.py::truncate::constant::'\\\\' -> ''": "`endswith('\\\\')` is implied by the odd "
    "count of trailing backslashes tested beside it",
    "bot/render.py::truncate::operator::len(cut) - len(cut.rstrip('\\\\')) -> len(cut) + "
    "len(cut.rstrip('\\\\'))": "only the parity is used, and a + b and a - b have the same parity",
    # bot/filters.py
    "bot/filters.py::apply::boolean::tax or load() -> tax and load()": "`matches` loads the "
    "bundled taxonomy itself when given None",
    # bot/schedule.py
    "bot/schedule.py::get_zone::boolean::not name or name != name.strip() or name.startswith(("
    "'/', '.')) -> not name and name != name.strip() and name.startswith(('/', '.'))": "defence in "
    "depth: ZoneInfo itself refuses an empty key, surrounding spaces and paths, and the same "
    "except clause gives the same reply",
    "bot/schedule.py::_standard_offset::constant::12 -> 13": "the probe only has to miss the "
    "night-time DST switch: 13:00 has the same offset as 12:00",
    "bot/schedule.py::_standard_offset::constant::0 -> 1": "12:01 has the same offset as 12:00",
    "bot/schedule.py::due_slots::constant::2 -> 3": "one more day back is never due: its "
    "window closed more than the grace ago",
    "bot/schedule.py::due_slots::constant::1 -> 2 #2": "the range then also holds tomorrow, "
    "whose slot is never due yet",
    "bot/schedule.py::passed_slots::constant::2 -> 3": "one more day back closed before `since` "
    "and is filtered out",
    "bot/schedule.py::next_slot::constant::1 -> 2": "starting one day earlier adds a slot that "
    "is already past",
    "bot/schedule.py::next_slot::constant::4 -> 5": "the loop returns by the second day ahead; "
    "a longer range is never reached",
}

_COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "__pycache__",
    "*.pyc",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "*.egg-info",
    "build",
    "dist",
    "*.sqlite3*",
)
_LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
_LOG_NAMES = {"log", "logger", "logging", "_log", "_logger", "LOG", "LOGGER"}
_CMP_SWAP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
_BIN_SWAP: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
}
_BOOL_SWAP: dict[type[ast.boolop], type[ast.boolop]] = {ast.And: ast.Or, ast.Or: ast.And}
_DEFAULTS: dict[str, str] = {
    "str": '""',
    "int": "0",
    "float": "0.0",
    "list": "[]",
    "List": "[]",
    "Sequence": "[]",
    "dict": "{}",
    "Dict": "{}",
    "Mapping": "{}",
    "tuple": "()",
    "Tuple": "()",
    "set": "set()",
    "frozenset": "frozenset()",
}


@dataclass
class Mutant:
    index: int
    line: int
    kind: str
    before: str
    after: str
    qualname: str
    id: str = ""
    status: str = "pending"  # killed | survived | timeout | equivalent
    seconds: float = 0.0

    def describe(self, path: str) -> str:
        return f"{path}:{self.line}: {self.kind}: `{self.before}` -> `{self.after}`"


# ---------------------------------------------------------------------------------------------
# Finding mutation sites. The walk is deterministic, so the k-th site of a fresh parse of the
# same source is the same site: collecting and applying share `_walk`.


def _short(node: ast.AST, width: int = 70) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _is_logging_call(stmt: ast.stmt) -> bool:
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    func = stmt.value.func
    if not (isinstance(func, ast.Attribute) and func.attr in _LOG_METHODS):
        return False
    owner = func.value
    if isinstance(owner, ast.Name):
        return owner.id in _LOG_NAMES
    return isinstance(owner, ast.Attribute) and owner.attr in _LOG_NAMES


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _name_of(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _return_default(returns: ast.expr | None, value: ast.expr) -> ast.expr | None:
    """What `return value` becomes: None where None is allowed (or nothing is declared), else
    the declared type's empty value; `not value` for bool. None means: no mutant here."""
    if isinstance(value, ast.Constant) and value.value is None:
        return None
    text = ast.unparse(returns) if returns is not None else ""
    parts = [p.strip() for p in text.split("|")]
    if not text or "None" in parts or text.startswith(("Optional[", "typing.Optional[")):
        return ast.Constant(value=None)
    root = parts[0].split("[", 1)[0].rsplit(".", 1)[-1]
    if root == "bool":
        return ast.UnaryOp(op=ast.Not(), operand=copy.deepcopy(value))
    default = _DEFAULTS.get(root)
    if default is None:
        return ast.Constant(value=None)
    replacement = ast.parse(default, mode="eval").body
    if ast.dump(replacement) == ast.dump(value):
        return None
    return replacement


Mutation = tuple[str, Callable[[ast.expr], ast.expr]]


def _expr_mutations(node: ast.expr, role: str, returns: ast.expr | None) -> list[Mutation]:
    """The mutations of one expression node; `role` says where it stands (condition, return)."""
    out: list[Mutation] = []
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            swap = _CMP_SWAP.get(type(op))
            if swap is None:
                continue

            def flip(n: ast.expr, i: int = i, swap: type[ast.cmpop] = swap) -> ast.expr:
                assert isinstance(n, ast.Compare)
                n.ops[i] = swap()
                return n

            out.append(("compare", flip))
    elif isinstance(node, ast.BinOp):
        bswap = _BIN_SWAP.get(type(node.op))
        if bswap is not None:

            def arith(n: ast.expr, swap: type[ast.operator] = bswap) -> ast.expr:
                assert isinstance(n, ast.BinOp)
                n.op = swap()
                return n

            out.append(("operator", arith))
    elif isinstance(node, ast.BoolOp):

        def boolean(n: ast.expr) -> ast.expr:
            assert isinstance(n, ast.BoolOp)
            n.op = _BOOL_SWAP[type(n.op)]()
            return n

        out.append(("boolean", boolean))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        out.append(("unary", lambda n: n.operand if isinstance(n, ast.UnaryOp) else n))
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            out.append(("constant", lambda n: ast.Constant(value=not value)))
        elif isinstance(value, int | float):
            out.append(("constant", lambda n: ast.Constant(value=value + 1)))
        elif isinstance(value, str) and value:
            out.append(("constant", lambda n: ast.Constant(value="")))
    redundant = (  # `not a == b` is the flip `a != b` above: one mutant, not two
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.Eq | ast.NotEq | ast.Is | ast.IsNot | ast.In | ast.NotIn)
    ) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not))  # `not not x` is `x`
    if role == "condition" and not redundant:
        out.append(("negate", lambda n: ast.UnaryOp(op=ast.Not(), operand=n)))
    elif role == "return":
        replacement = _return_default(returns, node)
        if replacement is not None:

            def returned(n: ast.expr, r: ast.expr = replacement) -> ast.expr:
                return copy.deepcopy(r)

            out.append(("return", returned))
    return out


@dataclass
class _Site:
    node: ast.expr
    set: Callable[[ast.expr], None]
    qualname: str
    mutations: list[Mutation] = field(default_factory=list)


def _walk(tree: ast.Module, lines: list[str]) -> Iterator[_Site]:
    """Every mutable expression, in a fixed order, with a setter into its parent.

    A statement whose first line says `pragma: no cover` (unreachable by design) is skipped.
    """

    def visit(
        node: ast.AST, scope: list[str], returns: ast.expr | None, func: bool
    ) -> Iterator[_Site]:
        if isinstance(node, ast.Subscript) and _name_of(node.value) == "Literal":
            return  # a type, not a value
        for name, value in ast.iter_fields(node):
            if name in ("annotation", "returns", "decorator_list", "type_comment", "type_params"):
                continue
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        yield from child(node, name, item, scope, returns, func, value, i)
            elif isinstance(value, ast.AST):
                yield from child(node, name, value, scope, returns, func, None, 0)

    def child(
        parent: ast.AST,
        name: str,
        item: ast.AST,
        scope: list[str],
        returns: ast.expr | None,
        func: bool,
        items: list[ast.AST] | None,
        i: int,
    ) -> Iterator[_Site]:
        if isinstance(item, ast.stmt):
            if "pragma: no cover" in lines[item.lineno - 1]:
                return
            if isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant):
                return  # docstrings and other bare strings
            if _is_logging_call(item) or isinstance(item, ast.Assert):
                return
            if isinstance(item, ast.If) and _is_type_checking(item.test):
                return
            if isinstance(item, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                if any(_name_of(t) in ("__all__", "__slots__") for t in targets):
                    return
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from visit(item, [*scope, item.name], item.returns, True)
                return
            if isinstance(item, ast.ClassDef):
                yield from visit(item, [*scope, item.name], None, False)
                return
            yield from visit(item, scope, returns, func)
            return
        if isinstance(item, ast.expr):
            if isinstance(parent, ast.Call) and _name_of(parent.func) == "cast" and i == 0:
                return  # cast's type argument
            if isinstance(item, ast.Lambda):
                return
            if isinstance(item, ast.JoinedStr):
                # f-strings: mutate the literal parts and the formatted expressions
                yield from visit(item, scope, returns, func)
                return
            role = ""
            is_test = name == "test" and isinstance(parent, ast.If | ast.IfExp | ast.While)
            if is_test or (name == "ifs" and isinstance(parent, ast.comprehension)):
                role = "condition"
            elif name == "value" and isinstance(parent, ast.Return) and func:
                role = "return"

            def setter(new: ast.expr) -> None:
                if items is not None:
                    items[i] = new
                else:
                    setattr(parent, name, new)

            assert isinstance(item, ast.expr)
            site = _Site(item, setter, ".".join(scope) or "<module>")
            site.mutations = _expr_mutations(item, role, returns)
            if site.mutations:
                yield site
            yield from visit(item, scope, returns, func)
            return
        yield from visit(item, scope, returns, func)

    yield from visit(tree, [], None, False)


def collect(source: str, relpath: str) -> list[Mutant]:
    tree = ast.parse(source)
    mutants: list[Mutant] = []
    seen: dict[str, int] = {}
    for site in _walk(tree, source.splitlines()):
        for kind, mutate in site.mutations:
            before = _short(site.node)
            after = _short(mutate(copy.deepcopy(site.node)))
            if before == after:
                continue
            m = Mutant(len(mutants), site.node.lineno, kind, before, after, site.qualname)
            base = f"{relpath}::{m.qualname}::{kind}::{before} -> {after}"
            seen[base] = seen.get(base, 0) + 1
            m.id = base if seen[base] == 1 else f"{base} #{seen[base]}"
            mutants.append(m)
    return mutants


def apply(source: str, index: int) -> str:
    """The source with mutant `index` applied (same numbering as `collect`)."""
    tree = ast.parse(source)
    k = 0
    for site in _walk(tree, source.splitlines()):
        for _kind, mutate in site.mutations:
            before = _short(site.node)
            after = _short(mutate(copy.deepcopy(site.node)))
            if before == after:
                continue
            if k == index:
                site.set(mutate(site.node))
                return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
            k += 1
    raise IndexError(index)


# ---------------------------------------------------------------------------------------------
# Running.


PYTEST_ARGS = ["-x", "-q", "-p", "no:cacheprovider"]

# The fork server. It runs pytest once, up to the end of collection: every test module is
# imported and the tests are collected. Then, for each mutant, it forks; the child patches the
# mutant into the module already imported (each function's code, defaults and the module's
# values are replaced in place, so every reference anyone holds sees the mutant) and runs the
# collected tests. No interpreter start, no import, no collection per mutant: a killed mutant
# costs about as long as the tests up to the first failure. Requests are lines on stdin
# ("<timeout>\t<mutant file or ->"); answers go to the original stdout ("rc N" or "timeout").
# A module that copies a value out of the mutated one at import (`from m import CONSTANT`)
# keeps the original: such a mutant can only survive wrongly, never be killed wrongly.
_SERVER = r"""
import os, signal, sys, time, traceback, types
log, module, args = sys.argv[1], sys.argv[2], sys.argv[3:]
reply = os.fdopen(os.dup(1), "w", buffering=1)
requests = os.fdopen(os.dup(0), "r")  # pytest replaces sys.stdin
fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.dup2(fd, 1)
os.dup2(fd, 2)
import pytest

def _func(v):
    if isinstance(v, types.FunctionType):
        return v
    if isinstance(v, (staticmethod, classmethod)):
        return v.__func__
    if isinstance(v, property):
        return v.fget
    w = getattr(v, "__wrapped__", None)
    return w if isinstance(w, types.FunctionType) else None

def _swap(old, new, owner, name):
    try:
        old.__code__ = new.__code__
        old.__defaults__ = new.__defaults__
        old.__kwdefaults__ = new.__kwdefaults__
    except (ValueError, TypeError):
        setattr(owner, name, new)

def _patch_class(old, new):
    for k, v in new.__dict__.items():
        if k in ("__dict__", "__weakref__", "__module__", "__doc__", "__qualname__"):
            continue
        ov = old.__dict__.get(k)
        fn, fo = _func(v), _func(ov)
        if fn is not None and fo is not None:
            _swap(fo, fn, old, k)
        elif isinstance(v, (int, float, str, bool, tuple, frozenset)) and not k.startswith("__"):
            try:
                setattr(old, k, v)
            except (AttributeError, TypeError):
                pass

def patch(path):
    mod = sys.modules[module]
    with open(path, encoding="utf-8") as f:
        code = compile(f.read(), mod.__file__, "exec")
    ns = {"__name__": module, "__file__": mod.__file__, "__package__": mod.__package__,
          "__builtins__": __builtins__}
    exec(code, ns)
    for name, new in ns.items():
        if name.startswith("__") and name.endswith("__"):
            continue
        old = mod.__dict__.get(name)
        mine = getattr(new, "__module__", None) == module
        if isinstance(new, type):
            if mine and isinstance(old, type):
                _patch_class(old, new)
            continue
        fn, fo = _func(new), _func(old)
        if fn is not None:
            if mine or fn.__module__ == module:
                if fo is not None:
                    _swap(fo, fn, mod, name)
                    if hasattr(old, "cache_clear"):
                        old.cache_clear()
                else:
                    setattr(mod, name, new)
            continue
        if isinstance(new, types.ModuleType) or (callable(new) and not mine):
            continue
        setattr(mod, name, new)

def run_child(session, path):
    os.setsid()
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    code = 1
    try:
        if path != "-":
            patch(path)
        items = session.items
        for i, item in enumerate(items):
            nxt = items[i + 1] if i + 1 < len(items) else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nxt)
            if session.shouldfail or session.shouldstop:
                break
        code = 1 if session.testsfailed else (5 if not items else 0)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

def serve(session):
    for line in requests:
        limit, path = line.rstrip("\n").split("\t")
        pid = os.fork()
        if pid == 0:
            run_child(session, path)
        deadline = time.monotonic() + float(limit)
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                print("rc", os.waitstatus_to_exitcode(status), file=reply)
                break
            if time.monotonic() > deadline:
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                print("timeout", file=reply)
                break
            time.sleep(0.01)

class Server:
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        if module not in sys.modules:
            __import__(module)
        serve(session)
        return True

code = pytest.main(args, plugins=[Server()])
for line in requests:  # collection failed: every run fails the same way
    print("rc", int(code) or 2, file=reply)
"""


class Worker:
    """One private copy of the project; runs one mutant at a time in it."""

    def __init__(
        self, python: str, relpath: str, tests: list[str], timeout: float, fork: bool
    ) -> None:
        self.module = relpath.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        self.mutant = Path()
        self.dir = Path(tempfile.mkdtemp(prefix="mutate-"))
        self.log = self.dir / "pytest.log"
        self.fork = fork
        self.server: subprocess.Popen[str] | None = None
        self.root = self.dir / "project"
        shutil.copytree(ROOT, self.root, ignore=_COPY_IGNORE, symlinks=True)
        self.target = self.root / relpath
        self.original = self.target.read_text(encoding="utf-8")
        self.python = python
        self.tests = tests
        self.timeout = timeout
        self.env = dict(os.environ)
        self.env["PYTHONPATH"] = str(self.root) + os.pathsep + self.env.get("PYTHONPATH", "")
        self.env["PYTHONDONTWRITEBYTECODE"] = "1"
        self.env.pop("PYTEST_ADDOPTS", None)

    def check_isolated(self, package: str) -> None:
        code = f"import {package}, sys; sys.stdout.write({package}.__file__)"
        out = subprocess.run(
            [self.python, "-c", code],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if not Path(out).resolve().is_relative_to(self.root.resolve()):
            raise SystemExit(f"mutate: {package} imports from {out}, not from the copy")

    def run(self, source: str | None, timeout: float | None = None) -> tuple[str, float, str]:
        start = time.monotonic()
        if self.fork:
            self.mutant = self.dir / "mutant.py"
            if source is not None:
                self.mutant.write_text(source, "utf-8")
            code = self._run_forked(timeout, source is not None)
        else:
            self.target.write_text(source if source is not None else self.original, "utf-8")
            try:
                code = self._run_fresh(timeout)
            finally:
                self.target.write_text(self.original, "utf-8")
        elapsed = time.monotonic() - start
        out = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        if code is None:
            return "timeout", elapsed, out
        if code == 0:
            return "survived", elapsed, out
        if code == 5:
            raise SystemExit(f"mutate: no tests collected from {self.tests}")
        return "killed", elapsed, out

    def _run_fresh(self, timeout: float | None) -> int | None:
        cmd = [self.python, "-m", "pytest", *PYTEST_ARGS, *self.tests]
        with self.log.open("w", encoding="utf-8") as log:
            proc = subprocess.Popen(
                cmd,
                cwd=self.root,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                return proc.wait(timeout=timeout or self.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return None

    def _run_forked(self, timeout: float | None, mutated: bool) -> int | None:
        if self.server is None:
            cmd = [self.python, "-c", _SERVER, str(self.log), self.module, *PYTEST_ARGS]
            self.server = subprocess.Popen(
                [*cmd, *self.tests],
                cwd=self.root,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        assert self.server.stdin is not None and self.server.stdout is not None
        path = str(self.mutant) if mutated else "-"
        self.server.stdin.write(f"{timeout or self.timeout}\t{path}\n")
        self.server.stdin.flush()
        reply = self.server.stdout.readline().split()
        if not reply:
            raise SystemExit("mutate: the fork server died (try --no-fork)")
        return None if reply[0] == "timeout" else int(reply[1])

    def close(self) -> None:
        if self.server is not None:
            self.server.kill()
            self.server.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", help="module path relative to the project root")
    parser.add_argument("--tests", nargs="+", required=True, help="test files or directories")
    parser.add_argument("--timeout", type=float, help="seconds per mutant (default 4× baseline)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (one copy each)")
    parser.add_argument("--python", help="interpreter with the project installed (.venv)")
    parser.add_argument(
        "--deselect",
        action="append",
        default=[],
        metavar="NODEID",
        help="a test to leave out (e.g. a slow property test of another module); repeatable",
    )
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--only", help="run only mutants whose id contains this text")
    parser.add_argument("--allow", type=Path, help="JSON {mutant id: reason} of equivalents")
    parser.add_argument(
        "--no-fork", action="store_true", help="a fresh interpreter per mutant (slower)"
    )
    parser.add_argument("--json", type=Path, help="also write the full result here")
    parser.add_argument("--min-score", type=float, default=0.0, help="fail below this (0-100)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the copies are removed

    source_path = (ROOT / args.module).resolve()
    relpath = source_path.relative_to(ROOT).as_posix()
    source = source_path.read_text(encoding="utf-8")
    before_digest = _digest(source_path)
    mutants = collect(source, relpath)
    if args.only:
        mutants = [m for m in mutants if args.only in m.id]
    if args.list:
        for m in mutants:
            print(f"{m.describe(relpath)}    [{m.id}]")
        print(f"{len(mutants)} mutants", file=sys.stderr)
        return 0

    allow = dict(EQUIVALENT)
    if args.allow:
        allow.update(json.loads(args.allow.read_text(encoding="utf-8")))
    ids = {m.id for m in mutants}
    stale = sorted(k for k in allow if k.startswith(relpath + "::") and k not in ids)
    for m in mutants:
        if m.id in allow:
            m.status = "equivalent"

    venv = ROOT / ".venv" / "bin" / "python"
    python = args.python or (str(venv) if venv.exists() else sys.executable)
    tests = list(args.tests) + [f"--deselect={node}" for node in args.deselect]
    package = relpath.split("/", 1)[0] if "/" in relpath else relpath.removesuffix(".py")

    workers: list[Worker] = []
    try:
        first = Worker(python, relpath, tests, args.timeout or 600, not args.no_fork)
        workers.append(first)
        first.check_isolated(package)
        status, baseline, out = first.run(None, timeout=1800)
        if status != "survived":
            print(out[-4000:], file=sys.stderr)
            print("mutate: the unmutated tests do not pass; nothing to measure", file=sys.stderr)
            return 2
        timeout = args.timeout or max(10.0, 4 * baseline)
        first.timeout = timeout
        for _ in range(max(1, args.jobs) - 1):
            w = Worker(python, relpath, tests, timeout, not args.no_fork)
            workers.append(w)
        pool: list[Worker] = list(workers)
        lock = threading.Lock()
        todo = [m for m in mutants if m.status == "pending"]
        done = 0

        def run_one(m: Mutant) -> None:
            nonlocal done
            with lock:
                worker = pool.pop()
            try:
                m.status, m.seconds, _ = worker.run(apply(source, m.index))
            finally:
                with lock:
                    pool.append(worker)
                    done += 1
                    print(
                        f"[{done}/{len(todo)}] {m.status:8} {m.describe(relpath)}",
                        file=sys.stderr,
                        flush=True,
                    )

        with concurrent.futures.ThreadPoolExecutor(max_workers=len(workers)) as ex:
            list(ex.map(run_one, todo))
    finally:
        for w in workers:
            w.close()
    if _digest(source_path) != before_digest:  # never expected: only the copies are written
        print(f"mutate: BUG: {relpath} changed during the run", file=sys.stderr)
        return 3

    counts = {s: sum(m.status == s for m in mutants) for s in ("killed", "survived", "timeout")}
    equivalent = sum(m.status == "equivalent" for m in mutants)
    scored = counts["killed"] + counts["survived"] + counts["timeout"]
    score = 100.0 * (counts["killed"] + counts["timeout"]) / scored if scored else 100.0
    survivors = [m for m in mutants if m.status == "survived"]
    summary = {
        "module": relpath,
        "tests": tests,
        "mutants": len(mutants),
        **counts,
        "equivalent": equivalent,
        "score": round(score, 1),
        "baseline_seconds": round(baseline, 1),
        "timeout_seconds": round(timeout, 1),
        "stale_allowlist": stale,
    }
    if args.json:
        full = {**summary, "results": [m.__dict__ for m in mutants]}
        args.json.write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    if survivors:
        print(f"\n{len(survivors)} surviving mutants:")
        for m in survivors:
            print(f"  {m.describe(relpath)}\n      id: {m.id}")
    return 0 if score >= args.min_score else 1


if __name__ == "__main__":
    sys.exit(main())
