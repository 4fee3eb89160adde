"""The current locale: BASTION_LANG by default, set per context, one language at a time."""

import threading

import pytest

from bastion.core import i18n, words
from bastion.core.i18n import tr


@pytest.mark.parametrize(("value", "expected"), [(None, "zh"), ("", "zh"), ("zh-CN", "zh"), ("zh_CN.UTF-8", "zh"),
                                                 ("en", "en"), ("en-US", "en"), ("EN_gb", "en")])
def test_bastion_lang_names_the_locale(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("BASTION_LANG", raising=False)
    else:
        monkeypatch.setenv("BASTION_LANG", value)
    assert i18n.locale() == expected


def test_an_unknown_language_is_refused_not_taken_for_chinese(monkeypatch):
    monkeypatch.setenv("BASTION_LANG", "fr")
    with pytest.raises(ValueError, match="zh-CN"):
        i18n.locale()


def test_using_sets_the_language_for_its_block_only(monkeypatch):
    monkeypatch.delenv("BASTION_LANG", raising=False)
    assert tr("排名", "Ranking") == "排名"
    with i18n.using("en"):
        assert tr("排名", "Ranking") == "Ranking"
        assert words.word(words.NOTICE_STATUS, "issued") == "awaiting rectification"
    assert tr("排名", "Ranking") == "排名"
    assert words.word(words.NOTICE_STATUS, "issued") == "待整改"


def test_a_thread_keeps_its_own_language(monkeypatch):
    """Two UI sessions run on two threads: one's English must not leak into the other's page."""
    monkeypatch.delenv("BASTION_LANG", raising=False)
    seen = {}
    english_set, chinese_read = threading.Event(), threading.Event()

    def english():
        i18n.set_locale("en")
        english_set.set()
        chinese_read.wait(5)
        seen["en"] = tr("排名", "Ranking")

    def chinese():
        english_set.wait(5)
        seen["zh"] = tr("排名", "Ranking")
        chinese_read.set()

    threads = [threading.Thread(target=english), threading.Thread(target=chinese)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"en": "Ranking", "zh": "排名"}


def test_a_word_for_every_code_and_nothing_for_none():
    assert words.word(words.STAGE_STATUS, "succeeded") == "已完成"
    assert words.word(words.STAGE_STATUS, "something-new") == "something-new"
    assert words.word(words.STAGE_STATUS, None) == ""
    assert words.word(words.STAGE_STATUS, float("nan")) == ""
    from bastion.core.access import Action
    from bastion.core.importing import KINDS
    from bastion.core.models import (CheckKind, DutyKind, EvaluationStatus, RectificationStatus, Role, RoundKind,
                                     RoundStatus, StageStatus)

    for table, enum in [(words.ROLE, Role), (words.NOTICE_STATUS, RectificationStatus),
                        (words.STAGE_STATUS, StageStatus), (words.RESULT_STATUS, EvaluationStatus),
                        (words.CHECK_KIND, CheckKind), (words.ACCESS_ACTION, Action),
                        (words.ROUND_KIND, RoundKind), (words.ROUND_STATUS, RoundStatus), (words.DUTY_KIND, DutyKind)]:
        assert set(table) == {e.value for e in enum}

    assert tuple(words.IMPORT_KIND) == KINDS


def _audited_codes() -> tuple[set[str], set[str]]:
    """Every action and entity core writes to the audit trail: the literals given to ``audit.record`` (both arms
    of a conditional), and the import kinds, which the importer writes as the entity of an import."""
    import ast
    from pathlib import Path

    from bastion.core.importing import KINDS

    core = Path(words.__file__).parent
    found: dict[str, set[str]] = {"action": set(), "entity": set()}
    for path in sorted(core.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                continue
            for keyword in node.keywords:
                if keyword.arg not in found:
                    continue
                value = keyword.value
                arms = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
                for arm in arms:
                    if isinstance(arm, ast.Constant) and isinstance(arm.value, str):
                        found[keyword.arg].add(arm.value)
                    else:  # only the importer names its entity by a variable: the kind imported
                        assert (path.relative_to(core).as_posix(), keyword.arg, ast.unparse(arm)) == (
                            "importing/service.py", "entity", "kind")
                        found["entity"].update(KINDS)
    return found["action"], found["entity"]


def test_every_audited_action_and_entity_has_a_word():
    actions, entities = _audited_codes()
    assert {"grant", "activate", "deactivate", "import", "draw"} <= actions  # the scan sees them all
    assert {"user", "self_assessment", "ledger", "ratings"} <= entities
    assert actions - set(words.AUDIT_ACTION) == set()
    assert entities - set(words.AUDIT_ENTITY) == set()


@pytest.mark.parametrize(("cron", "zh", "en"), [
    ("0 8 * * *", "每天 08:00", "daily at 08:00"),
    ("0 9 * * 1", "每周一 09:00", "every Monday at 09:00"),
    ("30 9 * * 2,4", "每周二、四 09:30", "every Tuesday and Thursday at 09:30"),
    ("0 9 3 * *", "每月3日 09:00", "on day 3 of every month at 09:00"),
    ("0 9 5 1,4,7,10 *", "每年1、4、7、10月5日 09:00", "on January, April, July and October 5 at 09:00"),
    ("0 9 15 1 *", "每年1月15日 09:00", "on January 15 at 09:00"),
    ("*/5 * * * *", "*/5 * * * *", "*/5 * * * *"),
])
def test_a_calendar_cron_reads_as_words(cron, zh, en):
    with i18n.using("zh"):
        assert words.cron_text(cron) == zh
    with i18n.using("en"):
        assert words.cron_text(cron) == en
