"""Built-in plugin ``channels``: notifications by e-mail over SMTP, and to the group robots of 企业微信 (WeCom) and
钉钉 (DingTalk).

A tenant turns each on with its settings (``bastion channels set email --setting host=smtp.example.cn …``) and its
secret — the SMTP password, the WeCom robot's key, the DingTalk robot's signing secret — which Bastion keeps apart
from the settings and never shows nor audits. ``send`` raises on any failure (a refused login, an HTTP error, a
robot's non-zero ``errcode``): the delivery stage records it without the secret and tries again later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formataddr
from typing import Literal
from urllib.parse import quote_plus

import httpx
from pydantic import BaseModel, Field, SecretStr

from bastion import hookimpl
from bastion.core.contributions import Channel, Dispatch

__version__ = "1.1.0"


class Email(Channel):
    """E-mail over SMTP to each recipient's address (``User.email``), a digest when several are due."""

    name, label, addressed = "email", "电子邮件", "user"
    secret_label = "SMTP 登录密码"

    class Settings(BaseModel):
        host: str = Field(min_length=1, title="SMTP 服务器", description="如 smtp.example.cn")
        port: int = Field(default=465, ge=1, le=65535, title="端口")
        security: Literal["ssl", "starttls", "none"] = Field(default="ssl", title="加密方式",
                                                             description="ssl、starttls 或 none")
        username: str = Field(default="", title="登录用户名", description="密码为本渠道的密钥；留空则不登录")
        sender: str = Field(min_length=3, title="发件地址", description="如 dangjian@example.cn")
        sender_name: str = Field(default="党建考核", title="发件人名称")
        timeout: float = Field(default=15, gt=0, title="超时（秒）")

    def send(self, dispatch: Dispatch) -> None:
        options: Email.Settings = dispatch.settings
        message = EmailMessage()
        message["Subject"] = dispatch.title
        message["From"] = formataddr((options.sender_name, options.sender))
        message["To"] = formataddr(dispatch.to)
        message.set_content(dispatch.body)
        if options.security == "ssl":
            smtp = smtplib.SMTP_SSL(options.host, options.port, timeout=options.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(options.host, options.port, timeout=options.timeout)
        with smtp:
            if options.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if options.username:
                smtp.login(options.username, dispatch.secret or "")
            smtp.send_message(message)


def _post(url: str, payload: dict, timeout: float) -> None:
    """POST the robot's JSON; raise unless it answers ``errcode`` 0."""
    response = httpx.post(url, json=payload, timeout=timeout)
    response.raise_for_status()
    answer = response.json()
    if answer.get("errcode", 0) != 0:
        raise RuntimeError(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")


def _text(dispatch: Dispatch) -> str:
    return f"{dispatch.title}\n{dispatch.body}"


class WeCom(Channel):
    """A 企业微信 group robot: ``url`` is the webhook without its key; the key is the secret."""

    name, label, addressed = "wecom", "企业微信群机器人", "group"
    secret_label = "机器人 key"

    class Settings(BaseModel):
        url: str = Field(default="https://qyapi.weixin.qq.com/cgi-bin/webhook/send", title="Webhook 地址",
                         description="不含 key（key 作为密钥保存）")
        timeout: float = Field(default=10, gt=0, title="超时（秒）")

    def send(self, dispatch: Dispatch) -> None:
        options: WeCom.Settings = dispatch.settings
        url = options.url if not dispatch.secret else f"{options.url}?key={quote_plus(dispatch.secret)}"
        _post(url, {"msgtype": "text", "text": {"content": _text(dispatch)}}, options.timeout)


class DingTalk(Channel):
    """A 钉钉 group robot: ``url`` is its webhook, ``access_token`` the robot's token (a secret setting: sealed at
    rest, never shown; a token left in the URL works too); the secret is its signing secret (加签): each request is
    signed with HMAC-SHA256 of the timestamp, as DingTalk asks."""

    name, label, addressed = "dingtalk", "钉钉群机器人", "group"
    secret_label = "加签密钥"

    class Settings(BaseModel):
        url: str = Field(default="https://oapi.dingtalk.com/robot/send", min_length=8, title="Webhook 地址",
                         description="不含 access_token（access_token 另填，加密保存）")
        access_token: SecretStr | None = Field(default=None, title="access_token",
                                               description="机器人 Webhook 中的 access_token")
        timeout: float = Field(default=10, gt=0, title="超时（秒）")

    def send(self, dispatch: Dispatch) -> None:
        options: DingTalk.Settings = dispatch.settings
        url = options.url
        if options.access_token is not None:
            url += ("&" if "?" in url else "?") + f"access_token={quote_plus(options.access_token.get_secret_value())}"
        if dispatch.secret:
            url += ("&" if "?" in url else "?") + signature(dispatch.secret, int(time.time() * 1000))
        _post(url, {"msgtype": "text", "text": {"content": _text(dispatch)}}, options.timeout)


def signature(secret: str, timestamp: int) -> str:
    """DingTalk's signing (加签): ``timestamp=…&sign=…``, the sign being the base64 HMAC-SHA256 of
    ``"{timestamp}\\n{secret}"`` keyed with the secret, URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return f"timestamp={timestamp}&sign={quote_plus(base64.b64encode(digest).decode())}"


@hookimpl
def bastion_channels() -> list[Channel]:
    return [Email(), WeCom(), DingTalk()]
