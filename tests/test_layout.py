"""The grader's shape: no import cycles (function-level imports included), and a docstring for every module."""

import ast
import re

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


# What each folder of grader/ may import besides itself (its __init__ docstring says so too): the course is read by
# all, student code runs in workers, an engine grades with them, and the commands of students and instructors sit on
# top. The package's face (grader/__init__.py, __main__.py, cli.py) may import any of them.
MAY_IMPORT = {
    "course": set(),
    "data": {"course"},
    "backend": {"course", "data"},
    "results": {"course"},
    "workers": {"course", "data", "backend"},
    "engine": {"course", "data", "backend", "results", "workers"},
    "checks": {"course", "data", "backend", "results", "workers", "engine"},
    "student": {"course", "data", "backend", "results", "workers", "engine"},
    "instructor": {"course", "data", "backend", "results", "workers", "engine"},
}
FACE = {"__init__.py", "__main__.py", "cli.py"}


def folder_of(module):
    """The folder of grader/ a module is in ("workers"), or None for the package's face (grader.cli)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in MAY_IMPORT) else None


def test_the_top_level_is_the_package_s_face_and_its_folders_by_role():
    python = {path.name for path in GRADER.iterdir() if path.suffix == ".py"}
    folders = {path.name for path in GRADER.iterdir() if path.is_dir() and path.name != "__pycache__"}
    assert (python, folders) == (FACE, set(MAY_IMPORT))


def test_each_folder_imports_only_what_it_may():
    known = modules()
    wrong = []
    for name, path in sorted(known.items()):
        mine = folder_of(name)
        if mine is None:
            continue
        for imported in sorted(imports(path, known)):
            theirs = folder_of(imported)
            face = theirs is None and imported != "grader"  # The command line is no folder's to import.
            if face or theirs not in (None, mine) and theirs not in MAY_IMPORT[mine]:
                wrong.append(f"{name} imports {imported}")
    assert wrong == []


def test_each_folder_says_what_it_may_import():
    """Each folder's docstring names the folders it may import, as MAY_IMPORT has them."""
    for folder, allowed in MAY_IMPORT.items():
        text = ast.get_docstring(ast.parse((GRADER / folder / "__init__.py").read_text()))
        named = {name for name in MAY_IMPORT if f"grader.{name}" in text} - {folder}
        assert named >= allowed, (folder, allowed - named)


def test_no_setting_travels_between_processes_as_a_hidden_flag_or_a_variable():
    """A grading's settings go to another process as one GradingOptions file: no hidden argparse option, no variable
    that says something was checked already."""
    sources = {name: path.read_text() for name, path in modules().items()}
    assert [name for name, text in sources.items() if "argparse.SUPPRESS" in text or "_CHECKED" in text] == []


def units(path):
    """Each function of a module as (name, lines, parameters), self and cls not counted."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            count = (len(arguments.posonlyargs) + len(arguments.args) + len(arguments.kwonlyargs)
                     + bool(arguments.vararg) + bool(arguments.kwarg))
            if arguments.args and arguments.args[0].arg in ("self", "cls"):
                count -= 1
            yield node.name, node.end_lineno - node.lineno + 1, count


def test_every_function_fits_on_a_screen():
    """No function of the grader is longer than 50 lines or takes more than 6 parameters."""
    found = [f"{name}.{function}: {lines} lines, {count} parameters" for name, path in sorted(modules().items())
             for function, lines, count in units(path) if lines > 50 or count > 6]
    assert found == []


def test_the_unit_counter_counts(tmp_path):
    path = tmp_path / "module.py"
    path.write_text("def f(a, b, *c, d=1, **e):\n" + "    pass\n" * 60
                    + "\n\nclass A:\n    def g(self, x):\n        pass\n")
    assert list(units(path)) == [("f", 61, 5), ("g", 2, 1)]


# Text read or written without an encoding is in the locale's, GBK on Chinese Windows: every file the grader writes
# is UTF-8, and every text it reads back says which encoding it is in. ruff's rule for this (PLW1514) is in preview,
# which changes its stable rules too, and sees only the calls whose receiver it can type (Path(...).read_text()).
SUBPROCESSES = {"run", "Popen", "check_output", "call", "check_call"}
TEMPORARY_FILES = {"NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile"}


def unspecified_encodings(source):
    """The calls in `source` that read or write text in the locale's encoding, as their source text."""
    return [ast.get_source_segment(source, node) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and in_the_locale_s_encoding(node)]


def in_the_locale_s_encoding(call):
    """Whether `call` reads or writes text without an encoding: read_text() or write_text(); open(), io.open(),
    os.fdopen() or a path's open(MODE), a temporary file or io.TextIOWrapper, in text mode; a subprocess whose
    output is text (text=True, universal_newlines=True)."""
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    if "encoding" in keywords:
        return False
    function = call.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
    owner = getattr(function.value, "id", None) if isinstance(function, ast.Attribute) else None

    def text_mode(position, default="r"):
        mode = call.args[position] if len(call.args) > position else keywords.get("mode", ast.Constant(default))
        modes = [node.value for node in ast.walk(mode) if isinstance(getattr(node, "value", None), str)]
        return not (modes and all("b" in mode for mode in modes))  # "ab" if resumed else "wb" is binary.

    if name in ("read_text", "write_text"):
        return len(call.args) < (name == "write_text") + 1  # Path.read_text(encoding), write_text(data, encoding).
    if isinstance(function, ast.Name) and name == "open" or (owner, name) in (("io", "open"), ("os", "fdopen")):
        return len(call.args) < 4 and text_mode(1)
    if name == "open" and owner != "os" and call.args and isinstance(call.args[0], ast.Constant):
        return str(call.args[0].value).strip("rwaxt+") == "" and len(call.args) < 3  # Path.open(mode): no zip's.
    if name in TEMPORARY_FILES:
        return text_mode(0, "w+b")
    if name == "TextIOWrapper":
        return len(call.args) < 2
    return name in SUBPROCESSES and any(isinstance(keywords.get(flag), ast.Constant) and keywords[flag].value
                                        for flag in ("text", "universal_newlines"))


def test_the_grader_reads_and_writes_text_in_an_encoding_it_names():
    """Every read_text(), write_text(), open() and the like in grader/ names its encoding (UTF-8, or utf-8-sig for
    a spreadsheet's CSV): none is left to the locale's, GBK on Chinese Windows. Classroom 50's autograder.py is one
    of them (it writes result.json itself when the grading fails)."""
    found = {(path.relative_to(ROOT).as_posix(), call) for path in sorted(GRADER.rglob("*.py"))
             for call in unspecified_encodings(path.read_text(encoding="utf-8"))}
    assert sorted(found) == []
    assert (GRADER / "instructor" / "classroom50_autograder.py").exists()


def test_the_encoding_finder_finds_text_in_the_locale_s_encoding():
    source = """
path.read_text(); path.write_text(text); open(name); open(name, "w", newline=""); io.open(name, mode="a")
os.fdopen(1, "w"); path.open("w"); tempfile.NamedTemporaryFile("w"); io.TextIOWrapper(raw)
subprocess.run(command, text=True); subprocess.Popen(command, universal_newlines=True)
path.read_text(encoding="utf-8"); path.read_text("utf-8"); path.write_text(text, encoding="utf-8")
open(name, "rb"); open(name, "w", encoding="utf-8-sig"); os.fdopen(1, "wb"); os.open(name, os.O_RDONLY)
archive.open(info); zipfile.ZipFile(name).open("member.txt", "r"); sandbox.open(); tempfile.NamedTemporaryFile()
tempfile.NamedTemporaryFile("w", encoding="utf-8"); subprocess.run(command, capture_output=True)
subprocess.run(command, text=True, encoding="utf-8"); io.TextIOWrapper(raw, "utf-8")
"""
    assert unspecified_encodings(source) == [
        "path.read_text()", "path.write_text(text)", "open(name)", 'open(name, "w", newline="")',
        'io.open(name, mode="a")', 'os.fdopen(1, "w")', 'path.open("w")', 'tempfile.NamedTemporaryFile("w")',
        "io.TextIOWrapper(raw)", "subprocess.run(command, text=True)",
        "subprocess.Popen(command, universal_newlines=True)"]


def long_strings(source, most=20):
    """The string literals of `source` longer than `most` lines, docstrings aside, by the line each starts on."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and node.value.count("\n") > most]


def test_no_program_or_page_is_written_inside_a_string():
    """Programs, scripts and pages the grader writes are files of their own (template-*, classroom50_autograder.py):
    linted, read and diffed as what they are, not strings of a module."""
    found = {path.relative_to(ROOT).as_posix(): lines for path in sorted(GRADER.rglob("*.py"))
             if (lines := long_strings(path.read_text(encoding="utf-8")))}
    assert found == {}
    module = '"""A docstring\n' + "of many lines\n" * 30 + '"""\nPAGE = """' + "<p>\n" * 21 + '"""\n'
    assert long_strings(module) == [33]


def test_every_adapter_grades_through_one_isolated_grading():
    """The batch, Gradescope and Classroom 50 each grade a submission with isolated.grade() (or, in the student's
    checkout, grade_in_checkout()), and the CI jobs' commands (Actions, GitLab) with isolated.graded_in_isolation(),
    which calls grade_in_checkout(); each settles its options through options.settle(), the one place the worker
    user, the device and the sandbox are checked; none reads back a file the grading wrote."""
    sources = {name: path.read_text(encoding="utf-8") for name, path in modules().items()}
    adapters = ["grader.instructor.batch", "grader.instructor.gradescope", "grader.instructor.classroom50",
                "grader.instructor.actions", "grader.instructor.gitlab"]
    assert [name for name in adapters[:3] if not re.search(r"isolated\.grade(_in_checkout)?\(", sources[name])] == []
    commands = sources["grader.instructor.commands"]
    assert re.findall(r"return (\w+)\(args\.path, .*job_grading\(args\)\)", commands) == ["actions", "gitlab"]
    assert "return lambda path: graded_in_isolation(path, args.timeout, args.memory)" in commands
    isolated = sources["grader.instructor.isolated"]
    assert "outcome = grade_in_checkout(" in isolated[isolated.index("def graded_in_isolation("):]
    assert [name for name in adapters if "grade_one(" in sources[name] and name != "grader.instructor.batch"] == []
    assert [name for name in adapters if '"feedback.txt").read_text' in sources[name]] == []
    settles = sorted(name for name, text in sources.items()
                     if re.search(r"bubblewrap\.resolve\(|(?<!def )\b(check_worker_user|check_device)\(", text))
    assert settles == ["grader.engine.options"]


def called_across(known):
    """The functions of grader's modules that another module imports or calls by its module: {(module, name): the
    function's node}."""
    defined = {(name, node.name): node for name, path in known.items()
               for node in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(node, ast.FunctionDef)}
    used = set()
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in known and node.module != name:
                for alias in node.names:
                    used.add((node.module, alias.name))
                    if f"{node.module}.{alias.name}" in known:
                        aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        used |= {(aliases[node.value.id], node.attr) for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                 and isinstance(node.value, ast.Name) and node.value.id in aliases}
    return {key: node for key, node in defined.items() if key in used}


def annotated(node):
    """Whether a function says what it returns and what its parameters are."""
    parameters = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
    return node.returns is not None and all(parameter.annotation is not None for parameter in parameters)


def test_the_functions_modules_call_across_say_their_types():
    """Every function one module of grader/ calls in another says its parameters' and its return's types, so that
    mypy (.ci/run) checks each call and the function's body."""
    found = called_across(modules())
    untyped = sorted(f"{module}.{name}" for (module, name), node in found.items() if not annotated(node))
    assert untyped == []
    assert len(found) > 150  # The finder finds them: imported by name, or called through their module.


def test_each_xdist_worker_s_share_starts_with_its_longest_tests():
    """pytest_collection_modifyitems (tests/conftest.py) deals the tests to the workers' shares, long ones first, then
    slow, then quick, each kind in its order; alone, a worker runs them in that order."""
    from types import SimpleNamespace

    from conftest import pytest_collection_modifyitems

    def items():
        return [SimpleNamespace(name=name, get_closest_marker=lambda mark, name=name: mark if mark in name else None)
                for name in ("q1", "slow-1", "long-1", "q2", "slow-2", "long-2", "q3", "slow-3", "long-3", "q4")]

    alone = items()
    pytest_collection_modifyitems(SimpleNamespace(), alone)
    assert [item.name for item in alone] == [
        "long-1", "long-2", "long-3", "slow-1", "slow-2", "slow-3", "q1", "q2", "q3", "q4"]
    dealt = items()
    pytest_collection_modifyitems(SimpleNamespace(workerinput={"workercount": 2}), dealt)
    assert [item.name for item in dealt] == [
        "long-1", "long-3", "slow-2", "q1", "q3", "long-2", "slow-1", "slow-3", "q2", "q4"]
