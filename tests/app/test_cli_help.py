"""``--help`` in the user's language: Chinese by default, English with BASTION_LANG=en.

Every help text of the command tree has its Chinese in ``bastion/cli/help_zh.py``, keyed by its English, and
that table holds nothing else: a command, an option or an argument added without its Chinese, or an English
text changed without its Chinese being read again, fails here.
"""

from __future__ import annotations

import pytest
import typer

from bastion.cli import app
from bastion.cli.help_zh import ZH
from bastion.cli.helptext import HelpText, localise, walk
from tests.app.conftest import bastion

try:
    from typer._click import formatting
except ImportError:  # pragma: no cover - an older Typer uses click itself
    from click import formatting


def tree():
    """A fresh click tree of ``bastion``, as Typer builds it for every run."""
    return typer.main.get_command(app)


def faults(texts: list[HelpText]) -> list[str]:
    """What the Chinese table lacks (an English help text without its Chinese) and what it holds in vain (an
    English text no command, option or argument has any more)."""
    used = {t.english for t in texts if t.english}
    out = [f"{t.where}: no Chinese for {t.english!r}" for t in texts if t.english and t.english not in ZH]
    out += [f"help_zh.ZH has Chinese for {english!r}, which nothing says any more"
            for english in sorted(ZH.keys() - used)]
    return out


def test_the_walk_reaches_every_kind_of_help_text():
    where = {t.where for t in walk(tree())}
    assert {"bastion", "bastion --version", "bastion --install-completion", "bastion --show-completion",
            "bastion --help", "bastion user", "bastion user add", "bastion user add username",
            "bastion user add --role", "bastion results --tenant", "bastion results --format",
            "bastion db upgrade revision", "bastion import ledger --again", "bastion rectification verify --passed",
            "bastion audit verify --help"} <= where


def test_every_help_text_has_its_chinese():
    assert [f for f in faults(list(walk(tree()))) if "no Chinese" in f] == []


def test_the_chinese_table_names_only_help_texts_that_exist():
    assert [f for f in faults(list(walk(tree()))) if "nothing says" in f] == []


def test_an_english_text_changed_without_its_chinese_fails_and_stays_english(zh):
    root = tree()
    root.commands["score"].help = "Score a period now."
    assert faults(list(walk(root))) == [
        "bastion score: no Chinese for 'Score a period now.'",
        "help_zh.ZH has Chinese for \"Score a period now (draft results, replacing the period's earlier drafts).\", "
        "which nothing says any more"]
    localise(root)
    assert root.commands["score"].help == "Score a period now."  # English, never a stale Chinese
    assert root.commands["publish"].help == "发布已评分的考核期，按方案的奖惩政策兑现奖惩。"


def test_top_level_help_is_chinese(zh):
    out = bastion("--help").output
    assert out.startswith("用法：bastion [选项] 命令 [参数]...\n\n  Bastion — 党支部目标管理考核。\n")
    for line in ("选项：", "命令：", "  --version             显示版本号并退出。",
                 "  --install-completion  为当前 shell 安装命令补全。", "  -h, --help            显示本帮助并退出。",
                 "  score          立即对考核期评分", "  results        查看考核期排名",
                 "  rectification  整改通知书：列表、反馈、复验", "  review         对组织的分级点评"):
        assert line in out.splitlines()
    assert "Score a period" not in out and "Options" not in out and "Show this message" not in out


def test_bastion_alone_shows_the_chinese_help(zh):
    result = bastion()
    assert "用法：bastion [选项] 命令 [参数]..." in result.output and "命令：" in result.output


def test_h_is_help_too(zh):
    assert bastion("results", "-h").output == bastion("results", "--help").output
    assert "  -h, --help                      显示本帮助并退出。" in bastion("results", "-h").output.splitlines()
    assert bastion("-h").output.startswith("用法：bastion [选项] 命令 [参数]...")


def test_a_sub_app_help_is_chinese(zh):
    out = bastion("rectification", "--help").output
    assert out.startswith("用法：bastion rectification [选项] 命令 [参数]...\n\n  整改通知书：列表、反馈、复验。\n")
    for line in ("  list     按整改期限列出单位的整改通知书", "  respond  党支部反馈整改通知书的整改情况",
                 "  verify   复验已反馈的整改通知书"):
        assert line in out.splitlines()


def test_a_command_with_shared_options_is_chinese_with_option_names_and_codes_as_typed(zh):
    out = bastion("results", "--help").output
    assert out.startswith("用法：bastion results [选项]\n\n  查看考核期排名。")
    assert "  -t, --tenant <str>              单位编码（默认：唯一的单位）。" in out.splitlines()
    assert "  -y, --year <int>                考核年度（默认：该单位唯一的考核年度）。" in out.splitlines()
    assert "考核期：2026、2026-H1、2026-Q3 或 2026-07" in out
    assert "  -f, --format <table|json|csv>   table（供人阅读）、json 或 csv" in out
    assert "[默认：branch]" in out and "[默认：table]" in out
    assert "group（党小组）" in out


def test_arguments_and_what_typer_adds_are_chinese(zh):
    out = bastion("user", "add", "--help").output
    assert "参数：\n  username <str>  登录名，在所有单位中唯一。  [必填]\n" in out
    assert "[环境变量：BASTION_NEW_PASSWORD；必填]" in out


def help_of(root, path: tuple[str, ...]) -> str:
    """What ``bastion PATH --help`` writes from the tree ``root``."""
    ctx, command = root.context_class(root, info_name="bastion", **root.context_settings), root
    for name in path:
        command = command.commands[name]
        ctx = command.context_class(command, info_name=name, parent=ctx, **command.context_settings)
    return command.get_help(ctx)


@pytest.mark.parametrize("width", [50, 80])
def test_chinese_help_fits_the_terminal(zh, monkeypatch, width):
    """A Chinese character takes two columns: lines are wrapped by what they take, not by their length (only an
    option's name wider than the terminal overflows it, in either language)."""
    from rich.cells import cell_len

    monkeypatch.setattr(formatting, "FORCED_WIDTH", width)
    for path in ((), ("results",), ("user", "add"), ("run",), ("rectification", "list")):
        root = tree()
        localise(root)
        lines = help_of(root, path).splitlines()
        assert lines[0].startswith("用法：")
        assert [line for line in lines if cell_len(line) > width and "--level <" not in line] == []


def command_paths(command, path=()):
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from command_paths(sub, (*path, name))


def test_english_help_is_typers_own_for_every_command(monkeypatch):
    monkeypatch.setattr(formatting, "FORCED_WIDTH", 80)
    for path in command_paths(tree()):
        assert bastion(*path, "--help").output == help_of(tree(), path) + "\n", path


def test_english_help_reads_as_before():
    out = bastion("results", "--help").output
    assert out.startswith("Usage: bastion results [OPTIONS]\n\n  The ranking of a period: total, rate, grade")
    assert "  -t, --tenant <str>              Tenant code (default: the only tenant).\n" in out
    assert "[default: table]" in out and "\nOptions:\n" in out and "Show this message and exit." in out
    assert "用法" not in out and "单位编码" not in out


def test_a_language_that_is_not_one_leaves_the_help_english(monkeypatch):
    monkeypatch.setenv("BASTION_LANG", "fr")
    root = tree()
    localise(root)
    assert root.commands["score"].help.startswith("Score a period now")
