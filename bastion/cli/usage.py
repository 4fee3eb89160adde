"""Usage errors — a bad option value, an unknown option or command, a missing option — as one line in the
user's language, exit 2, like every other error of the command line (:func:`.common.fail`).

Typer prints a parser's error as four English lines (usage, a hint, a blank line, "Error: …" with pydantic's
wording). :class:`OneLineGroup` is the command group of ``bastion``: it runs the command line as Typer does
and says such an error itself, from what the error knows (the option, the value given, what was expected).
Before it parses, it gives the tree its help in the user's language (:func:`.helptext.localise`).
"""

from __future__ import annotations

import re
import sys
from typing import Any

from typer.core import TyperGroup

from bastion.core.i18n import tr

from .common import fail
from .helptext import localise

try:  # Typer ≥ 0.20 carries its own copy of click, whose errors are these
    from typer._click import exceptions as parser_errors
except ImportError:  # pragma: no cover - an older Typer raises click's own
    from click import exceptions as parser_errors

__all__ = ["OneLineGroup", "usage_message"]

EXPECTED = {  # pydantic's error types of a value Typer could not read, and what was expected instead
    "int_parsing": ("整数", "a whole number"),
    "int_from_float": ("整数", "a whole number"),
    "float_parsing": ("数字", "a number"),
    "bool_parsing": ("true 或 false", "true or false"),
    "date_parsing": ("日期（如 2026-07-01）", "a date (e.g. 2026-07-01)"),
    "date_from_datetime_parsing": ("日期（如 2026-07-01）", "a date (e.g. 2026-07-01)"),
}
CHOICES = re.compile(r"is not one of (.*?)\.?$")


class OneLineGroup(TyperGroup):
    """``bastion``'s group: its help in the user's language; a usage error is one line on stderr (exit 2); the
    rest runs as Typer runs it."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        localise(self)
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except parser_errors.NoArgsIsHelpError as exc:  # `bastion` alone: the help, as Typer shows it
            exc.show()
            sys.exit(0)
        except parser_errors.ClickException as exc:
            fail(usage_message(exc), exc.exit_code)
            sys.exit(exc.exit_code)
        except parser_errors.Abort:
            fail(tr("已中止", "aborted"), 1)
            sys.exit(1)
        # Not standalone, Typer returns the code of an Exit raised by a command, else the command's value.
        sys.exit(code if isinstance(code, int) else 0)


def usage_message(exc: Exception) -> str:
    """What was wrong, in the user's language, with where to read more."""
    ctx = getattr(exc, "ctx", None)
    more = tr(f"（见 {ctx.command_path} --help）", f" (see {ctx.command_path} --help)") if ctx is not None else ""
    if isinstance(exc, parser_errors.NoSuchOption):
        maybe = "、".join(exc.possibilities or [])
        return (tr(f"没有选项 {exc.option_name}", f"no such option {exc.option_name}")
                + (tr(f"，是否想用 {maybe}", f"; did you mean {maybe}") if maybe else "") + more)
    if isinstance(exc, parser_errors.BadOptionUsage) and "requires an argument" in exc.message:
        return tr(f"选项 {exc.option_name} 需要一个值", f"option {exc.option_name} needs a value") + more
    if isinstance(exc, parser_errors.MissingParameter):
        return tr(f"缺少 {_name(exc.param)}", f"missing {_name(exc.param)}") + more
    if isinstance(exc, parser_errors.BadParameter):
        return _bad_value(exc) + more
    command = re.fullmatch(r"No such command '(.*)'\.", exc.format_message())
    if command:
        return tr(f"没有命令 {command.group(1)}", f"no such command {command.group(1)}") + more
    return tr(f"用法有误：{exc.format_message()}", f"usage: {exc.format_message()}") + more


def _name(param: Any) -> str:
    if param is None:
        return tr("参数", "an argument")
    opts = getattr(param, "opts", None) or []
    return next((o for o in opts if o.startswith("--")), opts[0] if opts else param.human_readable_name)


def _bad_value(exc: Any) -> str:
    """``--format xml``: the option, the value given and what it should be."""
    name = _name(exc.param)
    cause = exc.__cause__
    errors = cause.errors() if hasattr(cause, "errors") else []
    first = errors[0] if errors else {}
    given = first.get("input")
    value = f" {given}" if isinstance(given, str) else ""
    expected = EXPECTED.get(first.get("type", ""))
    choices = CHOICES.search(str(first.get("msg", "")))
    if choices:
        names = re.findall(r"'([^']*)'", choices.group(1))
        return tr(f"{name}{value} 无效：应为 {'、'.join(names)} 之一",
                  f"{name}{value} is not valid: expected one of {', '.join(names)}")
    if expected:
        return tr(f"{name}{value} 无效：应为{expected[0]}", f"{name}{value} is not valid: expected {expected[1]}")
    return tr(f"{name}{value} 无效：{exc.message}", f"{name}{value} is not valid: {exc.message}")
