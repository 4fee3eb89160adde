"""The audit trail page (审计日志): the auditor (审计管理员) reads it and nothing else; it shows words, not
codes or JSON; it checks the hash chain; nothing on it (or on the administration page) edits an event."""

from __future__ import annotations

import pytest

from bastion.ui.navigation import pages_for

PAGE = "audit.py"


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_the_audit_trail_shows_words_not_codes_or_json(app, locale):
    at = app("admin", "admin.py")
    at.selectbox(key="move_org").select("ZB00001").run()
    at.selectbox(key="move_parent").select("ZZ01").run()
    at.button(key="move_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at = app("auditor", PAGE, locale=locale)
    assert not at.exception, at.exception
    about = "操作对象" if locale == "zh" else "About"
    trail = next(frame.value for frame in at.dataframe if about in frame.value.columns)
    events = trail[trail["操作" if locale == "zh" else "Action"] != ("登录" if locale == "zh" else "logged in")]
    # the latest events first, after the auditor's login that opened the page: the move, a dated restructuring (机构调整),
    # then the organisation moved
    restructured, moved = events.iloc[0], events.iloc[1]
    action, entity, new = ("操作", "对象", "新值") if locale == "zh" else ("Action", "Entity", "New")
    assert (restructured[action], restructured[entity]) == (
        ("机构调整", "机构调整") if locale == "zh" else ("restructured", "restructuring"))
    assert restructured[new].startswith("类型：调整隶属；生效日期：" if locale == "zh" else "kind: move; effective on: ")
    assert (moved[action], moved[entity]) == (("调整隶属", "组织") if locale == "zh" else ("moved", "organisation"))
    assert moved[about].startswith("ZB00001 ")
    assert moved[new] == ("上级组织编码：ZZ01" if locale == "zh" else "parent_code: ZZ01")
    texts = " ".join(trail[new].astype(str))
    assert "{" not in texts and "None" not in texts


def test_the_auditor_gets_the_audit_page_and_nothing_else(app):
    at = app("auditor")
    assert not at.exception
    assert [p.file for p in pages_for(at.session_state["principal"])] == [PAGE]
    assert at.title[0].value == "审计日志"  # "/" opens the auditor's only page
    for page in ("dashboard.py", "admin.py", "workspace.py", "inspection.py", "ratings.py"):
        with pytest.raises(Exception):  # a page the navigation does not list cannot be switched to
            at.switch_page(f"views/{page}").run()


def test_the_page_only_reads_and_verifies_the_chain(app):
    for username in ("auditor", "admin"):
        at = app(username, PAGE)
        assert not at.exception
        assert [b.key for b in at.main.button] == ["audit_verify"]  # no button that changes anything
        assert not at.get("data_editor") and not at.text_area and not at.file_uploader
        at.button(key="audit_verify").click().run()
        assert at.success[0].value.startswith("哈希链完整：已校验 ")
    assert "审计日志" not in [t.label for t in app("admin", "admin.py").tabs]


def test_a_filter_by_actor_shows_only_their_events(app):
    at = app("auditor", PAGE)
    at.text_input(key="audit_actor").input("auditor").run()
    trail = at.dataframe[0].value
    assert len(trail) and set(trail["操作人"]) == {"auditor"}
