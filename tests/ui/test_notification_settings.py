"""系统管理 › 通知: the office turns a channel on with its settings, events and secret — the secret never shown, never
in the audit trail —, sets its quiet hours, and sees how delivery stands, the failures with why; an administrator of
part of the tree is told the tab is not theirs."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bastion.core import users
from bastion.core.db import transaction
from bastion.core.models import AuditEvent, ChannelSetting, Notification, Tenant
from bastion.core.notify import outbox
from bastion.core.notify.outbox import Occurrence
from bastion.core.notify.recipients import user
from bastion.core.sealed import unseal
from bastion.demo import DEMO_PASSWORD

PAGE = "admin.py"
SECRET = "SEC-d1ng-t4lk-5ecret"
TOKEN = "tok-4cce55-t0ken"


def _texts(at) -> str:
    return " ".join(str(getattr(e, "value", "")) for e in at.main) + " ".join(
        df.value.to_string() for df in at.dataframe)


def _table(at, column: str):
    """The page's table with ``column`` (a table's key is not kept by AppTest)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def test_the_office_sets_a_robot_with_its_secret_kept_out_of_sight(app, ui_engine, sample_db):
    at = app("admin", PAGE, tab="通知")
    assert not at.exception and at.tabs[-1].label == "通知"
    channels = _table(at, "密钥")
    assert list(channels["渠道"]) == ["站内通知", "钉钉群机器人", "电子邮件", "企业微信群机器人"]
    at.selectbox(key="channel_choice").select("dingtalk").run()
    at.checkbox(key="channel_dingtalk_on").check()
    at.text_input(key="channel_dingtalk_url").input("http://127.0.0.1:9/robot/send")
    at.text_input(key="channel_dingtalk_access_token").input(TOKEN)
    at.multiselect(key="channel_dingtalk_events").select("results_published").select("notice_overdue")
    at.text_input(key="channel_dingtalk_secret").input(SECRET)
    at.button(key="channel_dingtalk_save").click().run()
    assert not at.exception and not at.error, at.error
    assert any("已保存渠道 钉钉群机器人：开启" in s.value for s in at.success)
    shown = _table(at, "密钥").set_index("渠道").loc["钉钉群机器人"]
    assert shown["状态"] == "开启" and shown["密钥"] == "已设置" and shown["通知事项"] == "考核结果发布、整改逾期"
    assert SECRET not in _texts(at) and TOKEN not in _texts(at)  # neither sent back to the page
    assert shown["设置"] == "url=http://127.0.0.1:9/robot/send，timeout=10.0，access_token=***"
    with Session(ui_engine) as session:
        row = session.get(ChannelSetting, (sample_db.tenant_id, "dingtalk"))
        assert unseal(row.secret) == SECRET and SECRET not in row.secret
        assert unseal(row.settings["access_token"]) == TOKEN and TOKEN not in str(row.settings)  # sealed at rest
        assert {k: v for k, v in row.settings.items() if k != "access_token"} == {
            "url": "http://127.0.0.1:9/robot/send", "timeout": 10.0}
        trail = session.exec(select(AuditEvent).where(AuditEvent.entity == "channel")).all()
    assert len(trail) == 1 and trail[0].actor == "admin" and SECRET not in str(trail[0].new)
    assert TOKEN not in str(trail[0].new) and trail[0].new["settings"]["access_token"] == "***"
    assert trail[0].new["secret"] == "set"
    # a bad setting is refused, naming it, and nothing changes
    at.text_input(key="channel_dingtalk_timeout").input("-1")
    at.button(key="channel_dingtalk_save").click().run()
    assert any("timeout" in e.value for e in at.error)
    with Session(ui_engine) as session:
        assert session.get(ChannelSetting, (sample_db.tenant_id, "dingtalk")).settings["timeout"] == 10.0


def test_the_office_sets_quiet_hours_and_sees_what_did_not_go(app, ui_engine, registry, sample_db):
    at = app("admin", PAGE, tab="通知")
    at.text_input(key="quiet_hours_value").input("25:00-07:00")
    at.button(key="quiet_hours_save").click().run()
    assert at.error and "25:00" in at.error[0].value
    at.text_input(key="quiet_hours_value").input("22:00-07:00")
    at.button(key="quiet_hours_save").click().run()
    assert not at.exception and any("免打扰时段：22:00-07:00" in s.value for s in at.success)
    with Session(ui_engine) as session:
        assert session.get(Tenant, sample_db.tenant_id).quiet_hours == "22:00-07:00"
    with transaction(ui_engine) as session:  # a notification given up after its tries, with its error
        conn = session.connection()
        routes = outbox.routes(conn, sample_db.tenant_id, registry, [])
        params = {"org": "销售分公司党支部", "notice_no": "ZG-9", "problem": "记录不全", "deadline": "2026-12-20",
                  "days": 3}
        outbox.put(conn, sample_db.tenant_id, [Occurrence("notice_due", "notice:9:due:3", datetime(2026, 12, 17),
                                                         [(user(conn, sample_db.tenant_id, "secretary"), params)])],
                   routes)
        conn.execute(Notification.__table__.update().values(state="dead", attempts=6,
                                                             last_error="插件 channels：连接被拒绝"))
    at = app("admin", PAGE, tab="通知")
    outcomes = _table(at, "发送失败")
    assert outcomes.set_index("渠道").loc["站内通知", "发送失败"] == 1
    troubles = _table(at, "下次重试")
    assert list(troubles["错误"]) == ["插件 channels：连接被拒绝"] and list(troubles["状态"]) == ["发送失败"]


def test_an_administrator_of_part_of_the_tree_is_told_the_tab_is_not_theirs(app, ui_engine, sample_db):
    with transaction(ui_engine) as session:
        users.create_user(session, tenant=session.get(Tenant, sample_db.tenant_id), username="zz01-admin",
                          password=DEMO_PASSWORD, display_name="一总支", grants=[("admin", "ZZ01")], actor="test")
    at = app("zz01-admin", PAGE, tab="通知")
    assert not at.exception
    assert any("此操作需要全单位的管理员" in i.value for i in at.info)
    assert not [df for df in at.dataframe if "密钥" in df.value.columns]


def test_the_office_gives_a_secretary_an_e_mail_address_shown_masked(app, ui_engine, sample_db):
    from bastion.core.models import User

    at = app("admin", PAGE, tab="用户与角色")
    at.selectbox(key="manage_user").select("secretary").run()
    at.text_input(key="contact_email").input("not an address")
    at.button(key="contact_submit").click().run()
    assert at.error and "not an address" in at.error[0].value
    at.text_input(key="contact_email").input("wang.fang@example.cn")
    at.selectbox(key="contact_locale").select("en")
    at.button(key="contact_submit").click().run()
    assert not at.exception and any("已保存 secretary 的联系方式" in s.value for s in at.success)
    users_table = _table(at, "最近登录")
    assert "w***@example.cn" in set(users_table["电子邮件"]) and "wang.fang@example.cn" not in _texts(at)
    with Session(ui_engine) as session:
        saved = session.exec(select(User).where(User.username == "secretary")).one()
    assert saved.email == "wang.fang@example.cn" and saved.locale == "en"
