"""The grader's shape: no import cycles (function-level imports included), and a docstring for every module."""

import ast

from conftest import ROOT

GRADER = ROOT / "grader"


def modules():
    """Each module of the grader by dotted name: grader.cli, grader.data (its __init__.py), grader.data.sources…"""
    found = {}
    for path in GRADER.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path, known):
    """The grader modules that a module imports anywhere in it, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from grader.data import download` imports the module grader.data.download, not the package.
            names = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module
                     for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in known}
    return found


def cycle(graph):
    """One import cycle as a list of modules, or None."""
    state, stack = {}, []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for imported in sorted(graph[module]):
            if state.get(imported) == "open":
                return stack[stack.index(imported):] + [imported]
            if imported not in state and (found := visit(imported)):
                return found
        state[module] = "done"
        stack.pop()
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_the_grader_has_no_import_cycle():
    known = modules()
    graph = {name: imports(path, known) - {name} for name, path in known.items()}
    assert cycle(graph) is None


def test_the_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]


def test_every_module_says_what_it_is_for():
    undocumented = [name for name, path in modules().items() if not ast.get_docstring(ast.parse(path.read_text()))]
    assert undocumented == []


def test_shared_state_goes_through_the_stash_and_outputs_never_parse_labels():
    """The plugin's state is in config.stash, not found by plugin name; no output reads a step back from a label."""
    sources = {name: path.read_text() for name, path in modules().items()}
    assert [name for name, text in sources.items() if 'get_plugin("mnist' in text] == []
    assert [name for name, text in sources.items() if "removesuffix(\"'s\")" in text] == []
