"""The web server around the Streamlit app: the login page, the session cookie and the gate.

Streamlit runs its script over a websocket and cannot set a cookie, so logging in happens on a
plain page served beside it (``/login``, ``/logout``; ``ui/server.py`` mounts them with ``st.App``):

- ``POST /login`` checks the password (``core.sessions.login``), sets the cookie ``bastion_session``
  — HttpOnly, SameSite=Lax, signed with the server's key, naming the server-side session and
  nothing else — and sends the browser on to the page it asked for (deep links survive the login).
- The gate sends any page request without a live session to ``/login?next=<the page>``.
- Each script run reads the cookie (``st.context.cookies``) and resumes the session
  (:func:`session_token`, ``ui.context.principal``), so F5 or a second tab stays logged in until the
  session is ended (logout, deactivation, idle timeout).

The signing key is ``BASTION_SECRET_KEY``, else a random key kept in ``$BASTION_HOME/secret.key``
(every UI server of one deployment must share it).
"""

from __future__ import annotations

import html
import os
import secrets
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit

import anyio
import streamlit
from itsdangerous import BadSignature, Signer
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bastion.core import db, i18n, sessions
from bastion.core.access import Forbidden
from bastion.core.users import LockedOut
from bastion.core.db import transaction
from bastion.core.settings import Settings

COOKIE = "bastion_session"
LANG_COOKIE = "bastion_lang"
OPEN_PREFIXES = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/", "/login", "/logout",
                 "/favicon")


# --- the cookie ------------------------------------------------------------------------------------


def secret_key(settings: Settings) -> bytes:
    """``BASTION_SECRET_KEY``, else the key kept in ``$BASTION_HOME/secret.key`` (made on first use, mode 0600)."""
    if key := os.environ.get("BASTION_SECRET_KEY"):
        return key.encode()
    return _home_key(settings.home)


@lru_cache(maxsize=8)
def _home_key(home: Path) -> bytes:
    path = home / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".secret.key.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)  # whole or not at all; a second server starting at once keeps the first key
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip().encode()


def _signer(settings: Settings) -> Signer:
    return Signer(secret_key(settings), salt="bastion-session")


def sign(token: str, settings: Settings) -> str:
    return _signer(settings).sign(token).decode()


def unsign(value: str | None, settings: Settings) -> str | None:
    """The token a cookie value carries, or None when it is missing or its signature is wrong."""
    if not value:
        return None
    try:
        return _signer(settings).unsign(value).decode()
    except BadSignature:
        return None


# --- the pages -------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    return db.connect(Settings(home=Path("."), database_url=url))


def _settings_engine() -> tuple[Settings, Engine]:
    settings = Settings.from_env()
    return settings, _engine(settings.database_url)


def safe_next(value: str | None) -> str:
    """A same-site path to go on to after the login; anything else (another host, a scheme) is "/"."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    return "/" if parts.scheme or parts.netloc else value


def request_locale(request: Request) -> str:
    """The login page's language: ``?lang=``, else the language cookie (the last one used here), else zh-CN."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        try:
            if candidate:
                return i18n.normalise(candidate)
        except ValueError:
            pass
    return i18n.DEFAULT


PAGE = """<!doctype html>
<html lang="{html_lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="icon" href="/favicon.png">{prefetch}
<style>
body {{ margin: 0; font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       background: #f5f6f8; color: #262730; }}
main {{ max-width: 24rem; margin: 12vh auto; background: #fff; padding: 2rem 2.2rem; border-radius: .6rem;
       box-shadow: 0 1px 4px rgba(0,0,0,.12); }}
h1 {{ font-size: 1.35rem; margin: 0 0 .3rem; color: #b71c1c; }}
p.sub {{ margin: 0 0 1.4rem; color: #6b6f76; font-size: .9rem; }}
label {{ display: block; margin: .9rem 0 .3rem; font-size: .9rem; }}
input[type=text], input[type=password] {{ width: 100%; box-sizing: border-box; padding: .55rem .6rem;
       border: 1px solid #c9ccd1; border-radius: .35rem; font-size: 1rem; }}
button {{ margin-top: 1.3rem; width: 100%; padding: .6rem; border: 0; border-radius: .35rem; background: #c62828;
       color: #fff; font-size: 1rem; cursor: pointer; }}
.error {{ background: #fdecea; color: #8c1d18; padding: .6rem .7rem; border-radius: .35rem; font-size: .9rem; }}
.info {{ background: #e8f1fb; color: #1a4f85; padding: .6rem .7rem; border-radius: .35rem; font-size: .9rem; }}
nav {{ text-align: right; font-size: .85rem; margin-bottom: .6rem; }} nav a {{ color: #1a4f85; }}
</style></head>
<body><main>
<nav><a href="{switch_href}">{switch_label}</a></nav>
<h1>{title}</h1><p class="sub">{subtitle}</p>
{message}
<form method="post" action="/login">
<input type="hidden" name="next" value="{next}"><input type="hidden" name="lang" value="{lang}">
<label for="username">{username_label}</label>
<input id="username" name="username" type="text" autocomplete="username" value="{username}" autofocus required>
<label for="password">{password_label}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{submit}</button>
</form></main></body></html>"""


def login_page(*, lang: str, next_path: str, username: str = "", error: str = "", info: str = "") -> str:
    with i18n.using(lang):
        other = "en" if lang == "zh" else "zh"
        message = (f'<p class="error" role="alert">{html.escape(error)}</p>' if error
                   else f'<p class="info">{html.escape(info)}</p>' if info else "")
        return PAGE.format(
            html_lang="zh-CN" if lang == "zh" else "en", lang=lang,
            title=i18n.tr("党支部目标管理考核平台", "Party-branch assessment"),
            subtitle=i18n.tr("请使用您的账号登录", "Log in with your account"),
            switch_href=html.escape(f"/login?lang={other}&next={quote(next_path)}"),
            switch_label=i18n.LOCALES[other], message=message, next=html.escape(next_path),
            username_label=i18n.tr("用户名", "Username"), password_label=i18n.tr("密码", "Password"),
            username=html.escape(username), submit=i18n.tr("登录", "Log in"), prefetch=prefetch_links())


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def login_get(request: Request) -> Response:
    lang = request_locale(request)
    ended = request.query_params.get("ended")
    with i18n.using(lang):
        info = (i18n.tr("您已退出登录。", "You have logged out.") if ended == "logout"
                else i18n.tr("登录已超时或已失效，请重新登录。", "Your session has ended: please log in again.")
                if ended else "")
    response = _html(login_page(lang=lang, next_path=safe_next(request.query_params.get("next")), info=info))
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", secure=_secure(request))
    return response


async def login_post(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "")))
    try:
        lang = i18n.normalise(str(form.get("lang", "")))
    except ValueError:
        lang = i18n.DEFAULT
    settings, engine = _settings_engine()

    def attempt() -> tuple[str, object]:
        with i18n.using(lang):  # a refusal's message in the user's language
            return sessions.login(engine, username=username, password=password, locale=lang)

    try:
        token, _ = await anyio.to_thread.run_sync(attempt)
    except Forbidden as exc:
        with i18n.using(lang):
            error = (f"{exc}{i18n.tr('。', '.')}" if isinstance(exc, LockedOut) else
                     i18n.tr("用户名或密码错误，或账号已停用。", "Wrong username or password, or the user is deactivated."))
        return _html(login_page(lang=lang, next_path=next_path, username=username, error=error), status=401)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(COOKIE, sign(token, settings), httponly=True, samesite="lax", secure=_secure(request),
                        path="/")
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", secure=_secure(request))
    return response


async def logout(request: Request) -> Response:
    settings, engine = _settings_engine()
    token = unsign(request.cookies.get(COOKIE), settings)

    def end() -> None:
        with transaction(engine) as session:
            sessions.logout(session, token)

    await anyio.to_thread.run_sync(end)
    response = RedirectResponse("/login?ended=logout", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def favicon(request: Request) -> Response:
    return Response(FAVICON.read_bytes(), media_type="image/png", headers={"Cache-Control": "max-age=86400"})


FAVICON = Path(__file__).parent / "assets" / "favicon.png"

ROUTES = [Route("/login", login_get, methods=["GET"]), Route("/login", login_post, methods=["POST"]),
          Route("/logout", logout, methods=["GET", "POST"]), Route("/favicon.png", favicon, methods=["GET"])]


# --- the app's assets, fetched while the login page is open --------------------------------------

STREAMLIT_STATIC = Path(streamlit.__file__).parent / "static"  # what Streamlit serves under /static/
MAX_ASSETS = 400
_assets: dict[str, None] = {}  # insertion-ordered set of the /static/ files pages have loaded in this process


def note_asset(path: str) -> None:
    """Remember a Streamlit asset a page loaded (only files that exist: a made-up path is not kept)."""
    if path in _assets or len(_assets) >= MAX_ASSETS or ".." in path:
        return
    if (STREAMLIT_STATIC / path.lstrip("/")).is_file():
        _assets[path] = None


def prefetch_links() -> str:
    """``<link rel=prefetch>`` for the assets the app's pages loaded before: the browser fetches them while
    the person types the password (they are cached for a year, by name), so the page after the login
    draws without waiting for them. Empty until a page has been served once by this process."""
    return "".join(f'<link rel="prefetch" href="{html.escape(path)}">' for path in _assets)


# --- the gate --------------------------------------------------------------------------------------


def live_session(cookie: str | None) -> bool:
    """Whether a cookie names a live session (and keeps it alive)."""
    settings, engine = _settings_engine()
    token = unsign(cookie, settings)
    if token is None:
        return False
    with transaction(engine) as session:
        return sessions.resume(session, token) is not None


class LoginGate:
    """Pure ASGI middleware: a page request without a live session goes to the login page first.

    Only full page loads are gated (GET of a page path); Streamlit's own endpoints, its websocket and
    assets pass, and every script run checks the session again (``ui.context.resolve_principal``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(OPEN_PREFIXES):
            if scope["type"] == "http" and scope["path"].startswith("/static/"):
                note_asset(scope["path"])
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if await anyio.to_thread.run_sync(live_session, request.cookies.get(COOKIE)):
            await self.app(scope, receive, send)
            return
        target = scope["path"] + (f"?{scope['query_string'].decode()}" if scope.get("query_string") else "")
        ended = "&ended=timeout" if request.cookies.get(COOKIE) else ""
        response = RedirectResponse(f"/login?next={quote(safe_next(target))}{ended}", status_code=302)
        await response(scope, receive, send)
