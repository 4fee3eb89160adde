"""``--help`` in the user's language: the English where it is written, the Chinese from :mod:`.help_zh`.

A command's help is its docstring, an option's or an argument's its ``help=``: English. Typer builds the
click command tree afresh for every run of ``bastion``; when the language is Chinese, :func:`localise` walks
that tree before the command line is parsed and gives every command, option and argument the Chinese that
:data:`.help_zh.ZH` holds for its English text, and every command a context whose formatter writes the
headings in Chinese and wraps by display width (a Chinese character takes two columns). An English text
without its Chinese stays English; ``tests/app/test_cli_help.py`` fails on it, and on a Chinese text whose
English no longer exists (the English changed: its Chinese must be read again).

:func:`walk` is the one list of the tree's help texts, for :func:`localise` and for those tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len

from bastion.core import i18n

from .help_zh import EXTRAS, HEADINGS, OPTIONS_METAVAR, SUBCOMMAND_METAVAR, USAGE, ZH

try:  # Typer ≥ 0.20 carries its own copy of click
    from typer._click import Command, Context, HelpFormatter, Parameter
except ImportError:  # pragma: no cover - an older Typer uses click itself
    from click import Command, Context, HelpFormatter, Parameter

__all__ = ["HelpText", "key", "localise", "walk", "wrap"]


@dataclass(frozen=True)
class HelpText:
    """A command's or a parameter's help where ``bastion … --help`` shows it: ``bastion user add --role``."""

    where: str
    item: Command | Parameter

    @property
    def english(self) -> str:
        """The help as the tree has it, as a key of :data:`.help_zh.ZH` ("" for none)."""
        return key(self.item.help or "")


def key(text: str) -> str:
    """An English help text as :data:`.help_zh.ZH` holds it: its words, one space apart (a docstring's
    line breaks and indentation are not part of it)."""
    return " ".join(text.split())


def walk(root: Command, prog_name: str = "bastion") -> Iterator[HelpText]:
    """Every command of the tree (the top level first), then each of its options and arguments, ``--help``
    included (click makes it per command, with the names the command's context allows)."""
    yield from _walk(root, root.context_class(root, info_name=prog_name, **root.context_settings))


def _walk(command: Command, ctx: Context) -> Iterator[HelpText]:
    yield HelpText(ctx.command_path, command)
    for param in command.get_params(ctx):
        yield HelpText(f"{ctx.command_path} {_param_name(param)}", param)
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, sub.context_class(sub, info_name=name, parent=ctx, **sub.context_settings))


def _param_name(param: Parameter) -> str:
    longest = [o for o in param.opts if o.startswith("--")]
    return longest[0] if longest else (param.opts[0] if param.opts else str(param.name))


def localise(root: Command) -> None:
    """Chinese help on ``root``'s tree when the user's language is Chinese; in English, nothing changes.

    A BASTION_LANG that names no language is left to ``bastion``'s callback to refuse: the help stays English.
    """
    try:
        if i18n.locale() != "zh":
            return
    except ValueError:
        return
    for text in walk(root):
        item = text.item
        chinese = ZH.get(text.english)
        if isinstance(item, Command):
            item.context_class = ChineseContext
            item.options_metavar = OPTIONS_METAVAR
            if hasattr(item, "subcommand_metavar"):
                item.subcommand_metavar = SUBCOMMAND_METAVAR
            if chinese:
                item.help, item.short_help = chinese, _first_sentence(chinese)
        elif chinese:
            item.help = chinese


def _first_sentence(text: str) -> str:
    """What the list of commands shows of a command: its first sentence, without the full stop."""
    return text.split("。", 1)[0]


class ChineseFormatter(HelpFormatter):
    """click's help layout with Chinese headings, wrapped by display width."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        start = f"{'':>{self.current_indent}}{USAGE}{prog} "
        lines = wrap(args, self.width - cell_len(start)) or [""]
        indent = " " * cell_len(start)
        self.write(start + f"\n{indent}".join(lines) + "\n")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{HEADINGS.get(heading, heading)}：\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        paragraphs = [wrap(p, self.width - self.current_indent) for p in re.split(r"\n\s*\n", text)]
        self.write("\n\n".join("\n".join(indent + line for line in lines) for lines in paragraphs) + "\n")

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((cell_len(first) for first, _ in rows), default=0), col_max) + col_spacing
        hanging = " " * (first_col + self.current_indent)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if cell_len(first) <= first_col - col_spacing:
                self.write(" " * (first_col - cell_len(first)))
            else:
                self.write("\n" + hanging)
            width = max(self.width - first_col - 2, 10)
            said, extras = _extras(second)
            lines = wrap(said, width)
            if extras and lines and cell_len(lines[-1]) + 2 + cell_len(extras) <= width:
                lines[-1] += f"  {extras}"
            elif extras:  # on a line of its own, whole when it fits
                lines += wrap(extras, width)
            self.write(f"\n{hanging}".join(lines or [""]) + "\n")


class ChineseContext(Context):
    formatter_class = ChineseFormatter


EXTRA = re.compile(r"^(?P<help>.*?)\s*\[(?P<extras>[^\[\]]*)\]$", re.DOTALL)


def _extras(text: str) -> tuple[str, str]:
    """An option's help and what Typer adds after it, ``[default: table; required]``, as ``[默认：table；必填]``
    when every part of it is one of :data:`.help_zh.EXTRAS`' (else the text as it is, and no extras)."""
    found = EXTRA.match(text)
    if not found:
        return text, ""
    said = []
    for part in found["extras"].split("; "):
        name, sep, value = part.partition(": ")
        if name not in EXTRAS:
            return text, ""
        said.append(f"{EXTRAS[name]}：{value}" if sep else EXTRAS[name])
    return found["help"], f"[{'；'.join(said)}]"


# A unit that a line may not break inside: a Chinese character (with the punctuation that may not begin a line
# after it, and the opening bracket before it), or a run of other characters without a space (a word, a code
# such as 2026-H1 or --period).
CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
OPENING = "（《「『【“‘"
CLOSING = "，。、；：？！）》」』】”’…"
UNIT = re.compile(rf"(\s*)([{OPENING}]*(?:[{CJK}]|[^\s{CJK}]+)[{CLOSING}]*)")


def wrap(text: str, width: int) -> list[str]:
    """``text``'s lines at most ``width`` columns wide (a unit wider than that alone on its line): between
    words at their spaces, between Chinese characters anywhere but before closing punctuation."""
    lines: list[str] = []
    line, used = "", 0
    for space, unit in UNIT.findall(text):
        gap = 1 if space and line else 0
        size = cell_len(unit)
        if line and used + gap + size > width:
            lines.append(line)
            line, used = unit, size
        else:
            line, used = line + " " * gap + unit, used + gap + size
    if line:
        lines.append(line)
    return lines
