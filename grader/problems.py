"""What a student reads when a step's code did not return: a stub, a missing function, an exit, an error,
a hang or a crash. Each is a Failure (grader/grade.py): the problem, and one help line."""

from grader.grade import Failure
from grader.i18n import _
from grader.steps import STEPS


def problem(run):
    """The Failure of a Run (grader/sandbox.py) whose status is not "ok"; None when it is."""
    if run.status == "ok":
        return None
    step = STEPS[run.facts.get("step", run.step)]
    path = run.shown or run.folder / (step.file or "")
    function = f"{step.function}()"
    status = run.status
    if status == "not_attempted":
        return Failure(
            problem=_("not attempted yet: {function} in {path} still raises NotImplementedError",
                      function=function, path=path),
            help=_("open {path}, replace `raise NotImplementedError` with your code, and grade again.", path=path))
    if status == "missing":
        return Failure(problem=_("{path} has no function {function}", path=path, function=function),
                       help=_("keep the name the exercise gives: def {function}(...).", function=step.function))
    if status == "exit":
        return Failure(problem=_("{function} called sys.exit({code}), which would end the program",
                                 function=function, code=run.facts["code"]),
                       help=_("return the result instead of exiting."))
    if status == "error":
        where = "".join(
            "\n" + (_("  {path}, in {name}", path=run.shown, name=name) if run.shown else
                    _("  {path}, line {line}, in {name}", path=run.folder / file, line=line, name=name)) + (f"\n"
                        f"    {code}")
            for file, line, name, code in run.facts.get("frames", [])
        )
        if run.facts.get("when") == "import":
            return Failure(problem=_("importing {path} raised {exception}", path=path, exception=run.facts["exception"])
                           + where, help=_("Python stops at the first error in a file; fix the line shown."))
        return Failure(problem=_("{function} raised {exception}", function=function, exception=run.facts["exception"])
                       + where, help=step.text("on_error"))
    if status == "timeout":
        return Failure(problem=_("{step} did not finish within {limit} s and was stopped",
                                 step=step.name, limit=f"{run.facts['limit']:g}"),
                       help=_("look for a loop that never ends, or a call that waits for input.") + _tail(run))
    if status == "crashed":
        return Failure(
            problem=_(
                "the process running {step} ended before your code returned ({ended})",
                step=step.name,
                ended=run.facts["ended"],
            ),
            help=_("something in your code ended Python (os._exit, os.kill, a crash in a library); remove it.")
            + _tail(run),
        )
    return Failure(
        problem=_("the grader itself failed; this is not your fault. Please report it:")
        + f"\n{run.facts.get('exception')}"
    )


def _tail(run, lines=8):
    """The last lines the step's code printed, for a hang or a crash."""
    tail = run.printed.strip().splitlines()[-lines:]
    if not tail:
        return ""
    return "\n" + _("Your code printed (last lines):") + "".join(f"\n  | {line}" for line in tail)
