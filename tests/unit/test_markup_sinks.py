"""Lint: nothing but a literal, or text through `ui_text.plain` / `plain_str`, reaches a
place where Textual or Rich parses a string as markup (issue 14, "close the class").

Every UI source file (under screens/ or widgets/, or importing Textual or Rich) is parsed
with `ast`. A *sink* is an assignment to an attribute Textual reads as markup (border
titles, tooltips, labels, sub-titles, placeholders, prompts...), a keyword argument of
that name, the text argument of a widget that parses markup (Static, Label, Button,
Option, Markdown...), `.update(...)`, tree and table labels, palette hits, `notify(...)`,
`Binding` descriptions (the footer shows them as tooltips) and `from_markup` itself.
A sink's value passes when it is a literal, an ALL_CAPS module constant, a call of the
helper, or `Content`/`Text` built from literals or from `clean_line`/`clean_text` output.
`notify` with a non-literal message must also say `markup=False`.

The few sites that cannot take the helper's `Content` (a Tree wants `rich.text.Text` it
can restyle; the key table's descriptions are constants of ours) are listed in ALLOWED
with the reason; a listed site that no longer exists fails too, so the list stays true.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "tui_reader"

HELPERS = {"plain", "plain_str", "plain_text"}
SANITISERS = {"clean_line", "clean_text"}
# Attributes Textual renders as markup when given a `str` (or that we keep plain for it).
SINK_ATTRS = {
    "border_title",
    "border_subtitle",
    "tooltip",
    "label",
    "title",
    "sub_title",
    "placeholder",
    "prompt",
    "description",
    "help",
}
# Keyword arguments that are markup sinks whatever is called (Widget(tooltip=...), ...).
SINK_KEYWORDS = {"tooltip", "border_title", "border_subtitle", "placeholder", "prompt", "help"}
# Callables whose first positional argument is parsed as markup when it is a `str`.
FIRST_ARG_SINKS = {
    "Static",
    "Label",
    "Button",
    "Tab",
    "TabPane",
    "Option",
    "Markdown",
    "MarkdownViewer",
    "Tooltip",
    "Checkbox",
    "RadioButton",
    "Collapsible",
    "Link",
    "DiscoveryHit",
    "update",
    "set_label",
    "add",
    "add_leaf",
    "add_column",
    "add_option",
    "from_markup",
    "render_str",
}
ALL_ARG_SINKS = {"add_row", "add_columns", "add_options"}


@dataclass(frozen=True)
class Site:
    path: str  # relative to src/tui_reader
    function: str  # enclosing def, or "<module>"
    sink: str
    line: int

    def key(self) -> tuple[str, str, str]:
        return (self.path, self.function, self.sink)


# (file, enclosing function, sink) -> why the value is safe without the helper.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("widgets/category_sidebar.py", "_add", "add(label)"): (
        "Tree labels must be rich Text (the tree restyles them); built by _label from "
        "clean_line output as Text objects, never a str"
    ),
    ("widgets/category_sidebar.py", "_add", "add_leaf(label)"): "as for add(label)",
    ("keys.py", "bindings", "Binding(description)"): (
        "descriptions come from the constant KEYS table (the footer shows a description "
        "as a tooltip: markup); a user's remap changes keys only"
    ),
    ("keys.py", "bindings", "Binding(tooltip=)"): (
        "tooltips come from the constant KEYS table; a user's remap changes keys only"
    ),
    ("widgets/category_sidebar.py", "update_counts", "set_label"): "as for add(label)",
    ("screens/help.py", "on_resize", "update"): (
        "help_content builds Content with assemble/styled from the KEYS table and key "
        "names: str parts of Content.assemble are literal text"
    ),
    ("screens/link_picker.py", "_add", "Option(prompt)"): (
        "Content.assemble of our link number with the clean_line'd link text (str parts "
        "are literal) and plain_str(url)"
    ),
    ("widgets/reading_pane.py", "_set_body", "update(markdown)"): (
        "Markdown widget input: render.html_to_markdown output (escaped, checked by "
        "unsafe_tokens, links are #link-N) or our constant texts; Markdown never parses "
        "content markup"
    ),
    ("widgets/reading_pane.py", "_set_body", "Markdown(markdown)"): "as for update(markdown)",
    ("serve.py", "handle_websocket", "add(task)"): "a set of asyncio tasks, not a tree",
    ("serve.py", "compose", "Static(text)"): (
        "Content.assemble of our own words and the open error (str parts are literal)"
    ),
}


def _ui_files() -> list[Path]:
    files = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        text = path.read_text(encoding="utf-8")
        # Textual's side. The command line prints through `Console(markup=False)`
        # (test_every_rich_console_has_markup_off).
        ui = rel.startswith(("screens/", "widgets/")) or any(
            marker in text for marker in ("from textual", "import textual")
        )
        if ui and rel != "ui_text.py":
            files.append(path)
    return files


def _call_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _sanitised(node: ast.expr) -> bool:
    """Text that went through the sanitiser (what `Content(...)`/`Text(...)` may wrap)."""
    if _safe(node):
        return True
    return (
        isinstance(node, ast.Call)
        and _call_name(node.func) in SANITISERS | {"str"}
        and (_call_name(node.func) != "str" or all(_numeric(a) for a in node.args))
    )


def _numeric(node: ast.expr) -> bool:
    # str(len(x)) / str(count): digits only. Anything else is not provably plain.
    if isinstance(node, ast.Call) and _call_name(node.func) in {"len", "sum"}:
        return True
    return isinstance(node, ast.Constant) and isinstance(node.value, int | float)


# Assignments to local names in the function being checked: a name is safe when every
# value assigned to it is.
_LOCALS: dict[str, list[ast.expr]] = {}
_VISITING: set[str] = set()


def _safe_name(name: str) -> bool:
    if name.isupper():
        return True  # a module constant of ours
    if name in _VISITING:
        return True  # x = f(x): the other values assigned decide
    values = _LOCALS.get(name)
    if not values:
        return False
    _VISITING.add(name)
    try:
        return all(_safe(v) for v in values)
    finally:
        _VISITING.discard(name)


def _safe(node: ast.expr | None) -> bool:
    """May `node` reach a markup sink? See the module docstring."""
    if node is None:
        return True
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) for v in node.values)
    if isinstance(node, ast.Name):
        return _safe_name(node.id)
    if isinstance(node, ast.IfExp):
        return _safe(node.body) and _safe(node.orelse)
    if isinstance(node, ast.BoolOp):
        return all(_safe(v) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _safe(node.left) and _safe(node.right)
    if isinstance(node, ast.Call):
        name = _call_name(node.func)
        if name in HELPERS:
            return True
        if name in {"Content", "Text", "styled"}:
            return all(_sanitised(a) for a in node.args[:1])
        if name == "assemble":
            return all(_sanitised(a.elts[0] if isinstance(a, ast.Tuple) else a) for a in node.args)
        if name in {"stylize", "stylize_before"} and isinstance(node.func, ast.Attribute):
            return _safe(node.func.value)  # styling literal content keeps it literal
        if name == "join" and isinstance(node.func, ast.Attribute):
            return all(_safe(a) for a in node.args) and _safe(node.func.value)
    return False


def _literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) or (
        isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values)
    )


def _describe(sink: str, node: ast.expr) -> str:
    return (
        f"{sink}({ast.unparse(node)[:40]})"
        if not isinstance(node, ast.Name)
        else (f"{sink}({node.id})")
    )


class _Finder(ast.NodeVisitor):
    def __init__(self, rel: str) -> None:
        self.rel = rel
        self.function = "<module>"
        self.bad: list[tuple[Site, str]] = []
        self.sinks: list[Site] = []

    def _check(self, sink: str, value: ast.expr, line: int, extra_ok: bool = False) -> None:
        site = Site(self.rel, self.function, sink, line)
        self.sinks.append(site)
        if not (extra_ok or _safe(value)):
            self.bad.append((site, ast.unparse(value)[:80]))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, node.name
        saved = dict(_LOCALS)
        _LOCALS.clear()
        for inner in ast.walk(node):
            targets = inner.targets if isinstance(inner, ast.Assign) else []
            if isinstance(inner, ast.AnnAssign | ast.AugAssign) and inner.value is not None:
                targets = [inner.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    value = inner.value  # type: ignore[union-attr]
                    if isinstance(inner, ast.AugAssign):
                        value = ast.BinOp(ast.Name(target.id), inner.op, value)
                    _LOCALS.setdefault(target.id, []).append(value)
        self.generic_visit(node)
        _LOCALS.clear()
        _LOCALS.update(saved)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr in SINK_ATTRS:
                self._check(f".{target.attr} =", node.value, node.lineno)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node.func)
        line = node.lineno
        if name == "notify":
            message = node.args[0] if node.args else None
            markup_off = any(
                k.arg == "markup" and isinstance(k.value, ast.Constant) and k.value.value is False
                for k in node.keywords
            )
            if message is not None:
                # A non-literal message needs both: markup off, and sanitised text.
                self._check("notify(message)", message, line)
                if not _literal(message) and not markup_off:
                    site = Site(self.rel, self.function, "notify without markup=False", line)
                    self.bad.append((site, ast.unparse(message)[:80]))
            for k in node.keywords:
                if k.arg == "title":
                    self._check("notify(title=)", k.value, line)
        elif name == "Binding" and len(node.args) >= 3:
            self._check("Binding(description)", node.args[2], line)
        elif name == "Hit" and len(node.args) >= 2:
            self._check("Hit(display)", node.args[1], line)
        elif name in FIRST_ARG_SINKS and node.args:
            arg = node.args[0]
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            # `d.update({...})` and `groups.setdefault(k, set()).add(x)` are not widgets.
            not_a_widget = (name == "update" and isinstance(arg, ast.Dict | ast.Set)) or (
                name == "add" and isinstance(receiver, ast.Call | ast.Subscript)
            )
            if not not_a_widget:
                self._check(_describe(name, arg) if isinstance(arg, ast.Name) else name, arg, line)
        elif name in ALL_ARG_SINKS:
            for arg in node.args:
                if not isinstance(arg, ast.Starred):
                    self._check(name, arg, line)
        for k in node.keywords:
            if k.arg in SINK_KEYWORDS or (k.arg == "label" and name in FIRST_ARG_SINKS):
                self._check(f"{name}({k.arg}=)", k.value, line)
        self.generic_visit(node)


def _scan() -> tuple[list[Site], list[tuple[Site, str]]]:
    sinks: list[Site] = []
    bad: list[tuple[Site, str]] = []
    for path in _ui_files():
        finder = _Finder(path.relative_to(SRC).as_posix())
        finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        sinks += finder.sinks
        bad += finder.bad
    return sinks, bad


def test_every_markup_sink_is_fed_a_literal_or_the_helper() -> None:
    _, bad = _scan()
    unexplained = [
        f"{site.path}:{site.line} in {site.function}: {site.sink} <- {value}"
        for site, value in bad
        if site.key() not in ALLOWED
    ]
    assert unexplained == [], "\n".join(unexplained)


def test_the_allow_list_names_only_sites_that_exist() -> None:
    sinks, _ = _scan()
    seen = {site.key() for site in sinks}
    assert sorted(set(ALLOWED) - seen) == []


def test_the_scan_finds_the_sinks_it_is_meant_to() -> None:
    """The lint itself works: the search box title and the tooltip are seen, and a
    made-up violation of each kind is caught."""
    sinks, _ = _scan()
    kinds = {(s.path, s.sink) for s in sinks}
    assert ("screens/main/finding.py", ".border_title =") in kinds
    assert ("widgets/reading_pane.py", ".tooltip =") in kinds
    source = """
def f(box, feed, app, pane):
    box.border_title = f"Search {feed.title}"
    box.tooltip = feed.link
    app.notify(feed.title)
    app.notify("x", title=feed.title, markup=False)
    pane.update("Title: " + feed.title)
    Button(feed.title)
    Static(Content(feed.title))
    Content.from_markup(feed.title)
"""
    finder = _Finder("made_up.py")
    finder.visit(ast.parse(source))
    caught = {site.sink for site, _ in finder.bad}
    assert caught >= {
        ".border_title =",
        ".tooltip =",
        "notify without markup=False",
        "notify(title=)",
        "update",
        "Button",
        "Static",
        "from_markup",
    }, caught
    fine = """
def f(box, feed):
    box.border_title = plain(f"Search {feed.title}")
    box.tooltip = "Read the whole article here (f)"
    box.notify(plain_str(feed.title), title="Add feed", markup=False)
    Static(Content(clean_line(feed.title)))
"""
    finder = _Finder("made_up.py")
    finder.visit(ast.parse(fine))
    assert finder.bad == []


@pytest.mark.parametrize("value", ["[@click=app.quit]X[/]", "[/]", "\x1b]8;;vscode://x\x1b\\"])
def test_the_helper_gives_literal_sanitised_content(value: str) -> None:
    from tui_reader.ui_text import plain, plain_str

    content = plain(value)
    assert content.spans == [] and "\x1b" not in content.plain
    assert content.plain == plain_str(value)
    assert "[" not in value or "[" in content.plain  # brackets stay as text


def test_every_rich_console_has_markup_off() -> None:
    """The command line's Rich output: every `Console(...)` is made with `markup=False`,
    so printing a feed title never parses it (Text objects are literal anyway)."""
    consoles = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _call_name(node.func) == "Console":
                off = any(
                    k.arg == "markup"
                    and isinstance(k.value, ast.Constant)
                    and k.value.value is False
                    for k in node.keywords
                )
                consoles.append((path.relative_to(SRC).as_posix(), node.lineno, off))
    assert consoles, "no Console found: the scan is broken"
    assert [c for c in consoles if not c[2]] == []
