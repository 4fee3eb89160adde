"""The web side of the login: the session cookie, set and dropped by the app's own page.

Streamlit runs its script over a websocket and cannot set a cookie, and a page of the server's own
would make the app start afresh after the login (about a second). So the login form is part of the
app (``ui.context.login_form``) and its page stays open across the login:

1. The run the form submits checks the password (``core.sessions.login``), keeps the session's token
   in the tab's ``st.session_state`` (the server's memory) and goes straight on to the page asked for:
   the address still names it, so deep links survive the login.
2. The same run hands the page a *ticket* (:func:`issue_ticket`: random, single use, valid
   :data:`TICKET_SECONDS`, kept in this process), and a script on the page posts it to ``POST /login``
   (a ``fetch``: nothing reloads), which answers with the cookie ``bastion_session`` — HttpOnly,
   SameSite=Lax, signed with the server's key, naming the server-side session and nothing else. The
   session's token never reaches the page's scripts; the ticket names it for a minute, once.
3. Every later page load (F5, a second tab, a link) sends the cookie on the websocket, and every script
   run resumes its session (``ui.context.resolve_principal``) until it ends (logout, deactivation,
   idle timeout): the cookie carries no rights.
4. Logging out ends the session on the server; the page then posts to ``/logout`` to drop the cookie.

A ticket lives in the memory of the process that served the login, like the tab's session itself
(Streamlit keeps a tab on one process: a deployment with several needs sticky sessions anyway). The
signing key is ``BASTION_SECRET_KEY``, else a random key kept in ``$BASTION_HOME/secret.key`` (every UI
server of one deployment must share it).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import anyio
from itsdangerous import BadSignature, Signer
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bastion.core import db, i18n, sessions
from bastion.core.db import transaction
from bastion.core.settings import Settings, secret_key

COOKIE = "bastion_session"
LANG_COOKIE = "bastion_lang"
HEADER = "X-Bastion-Login"  # a page's fetch sends it; a form or a link from another site cannot
TICKET_SECONDS = 60
MAX_TICKETS = 10_000


# --- the cookie ------------------------------------------------------------------------------------


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


# --- tickets: from the run that logged in to the cookie ---------------------------------------------


_tickets: dict[str, tuple[str, str, float]] = {}  # sha256(ticket) → (session token, language, expiry)
_tickets_lock = threading.Lock()


def _ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def issue_ticket(token: str, *, lang: str) -> str:
    """A one-time ticket for the page to exchange for the cookie naming session ``token``."""
    ticket = secrets.token_urlsafe(32)
    now = time.monotonic()
    with _tickets_lock:
        for stale in [key for key, (_, _, expiry) in _tickets.items() if expiry < now]:
            del _tickets[stale]
        if len(_tickets) >= MAX_TICKETS:
            _tickets.pop(next(iter(_tickets)))
        _tickets[_ticket_hash(ticket)] = (token, lang, now + TICKET_SECONDS)
    return ticket


def redeem_ticket(ticket: str) -> tuple[str, str] | None:
    """The session token and language a live ticket names (the ticket is spent); None otherwise."""
    with _tickets_lock:
        found = _tickets.pop(_ticket_hash(ticket), None)
    if found is None or found[2] < time.monotonic():
        return None
    return found[0], found[1]


def cookie_script(ticket: str) -> str:
    """The script the page runs once after the login: the ticket posted, the cookie set, nothing reloaded."""
    body = json.dumps({"ticket": ticket})
    return (f'<script>fetch("/login", {{method: "POST", credentials: "same-origin", headers: '
            f'{{"Content-Type": "application/json", "{HEADER}": "1"}}, body: {json.dumps(body)}}})'
            f'.catch(() => {{}});</script>')


def logout_script() -> str:
    """The script the page runs after a logout: the cookie dropped (its session has already ended)."""
    return (f'<script>fetch("/logout", {{method: "POST", credentials: "same-origin", headers: {{"{HEADER}": "1"}}}})'
            f'.catch(() => {{}});</script>')


# --- the routes ------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    return db.connect(Settings(home=Path("."), database_url=url))


def _settings_engine() -> tuple[Settings, Engine]:
    settings = Settings.from_env()
    return settings, _engine(settings.database_url)


def safe_next(value: str | None) -> str:
    """A same-site path to go on to; anything else (another host, a scheme) is "/"."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    return "/" if parts.scheme or parts.netloc else value


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _from_the_page(request: Request) -> bool:
    """A fetch by the app's own page: it sends :data:`HEADER` (another site's form cannot, and its fetch
    would need a CORS answer this server never gives), and the browser does not call it cross-site."""
    return request.headers.get(HEADER) == "1" and request.headers.get("sec-fetch-site", "same-origin") in (
        "same-origin", "none")


def _no_store(status: int = 204) -> Response:
    return Response(status_code=status, headers={"Cache-Control": "no-store"})


async def login_post(request: Request) -> Response:
    """A ticket (JSON ``{"ticket": …}``) exchanged for the session cookie and the language cookie."""
    if not _from_the_page(request):
        return _no_store(403)
    try:
        ticket = (await request.json())["ticket"]
    except (ValueError, KeyError, TypeError):
        return _no_store(400)
    found = redeem_ticket(ticket) if isinstance(ticket, str) else None
    if found is None:
        return _no_store(403)
    token, lang = found
    settings, _ = _settings_engine()
    response = _no_store()
    response.set_cookie(COOKIE, sign(token, settings), httponly=True, samesite="lax", secure=_secure(request),
                        path="/")
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", secure=_secure(request), path="/")
    return response


def login_get(request: Request) -> Response:
    """The address of the former login page: the app itself asks for the password, at the page wanted."""
    return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)


async def logout(request: Request) -> Response:
    """End the session the cookie names (if it is still live) and drop the cookie; a link (GET) goes on to "/"."""
    if request.method == "POST" and not _from_the_page(request):
        return _no_store(403)
    settings, engine = _settings_engine()
    token = unsign(request.cookies.get(COOKIE), settings)

    def end() -> None:
        with transaction(engine) as session:
            sessions.logout(session, token)

    if token:
        await anyio.to_thread.run_sync(end)
    response = _no_store() if request.method == "POST" else RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def favicon(request: Request) -> Response:
    return Response(FAVICON.read_bytes(), media_type="image/png", headers={"Cache-Control": "max-age=86400"})


FAVICON = Path(__file__).parent / "assets" / "favicon.png"

def _ballot_routes() -> list[Route]:
    from bastion.ui.ballot_page import ballot_get, ballot_post  # the ballot page (民主测评投票): a code, no login

    return [Route("/ballot", ballot_get, methods=["GET"]), Route("/ballot", ballot_post, methods=["POST"])]


ROUTES = [Route("/login", login_get, methods=["GET"]), Route("/login", login_post, methods=["POST"]),
          Route("/logout", logout, methods=["GET", "POST"]), Route("/favicon.png", favicon, methods=["GET"]),
          *_ballot_routes()]


def preferred_locale(cookies: dict[str, str]) -> str:
    """The language before anyone logs in: the one last used in this browser (its language cookie), else
    ``BASTION_LANG``'s."""
    try:
        return i18n.normalise(cookies.get(LANG_COOKIE)) if cookies.get(LANG_COOKIE) else i18n.env_locale()
    except ValueError:
        return i18n.env_locale()
