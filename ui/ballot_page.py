"""民主测评投票 — the ballot page: no account, a one-time code, one plain HTML form that any phone opens.

``GET /ballot?code=…`` (a slip's QR code) shows every question of the ballot the code opens; ``POST /ballot``
casts it once into the anonymous box (``core.ballots.box``), then goes back to an empty code box (post, redirect,
get: a reload casts nothing). A code that is malformed, unknown, used, or of a closed round is told why; a missing
or wrong answer is named beside the others', nothing cast. The page is served beside the Streamlit app by its own
server (``ui/server.py``) as a plain form rather than a Streamlit page: a ballot is one request, with no websocket
and no script run per voter, so a round's thousands of voters cost the server little.

Nothing here records who is voting: no login, no cookie set, no address or time kept with the ballot; the answer
says ``no-store`` and ``no-referrer``, so the code in the address is neither cached nor passed on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import anyio
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bastion.core import i18n
from bastion.core.ballots import box
from bastion.core.ballots.questions import Question
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.core.models import RoundKind
from bastion.core.registry import Registry, default_registry
from bastion.core.words import period_name

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(["html"]))
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
           "Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'; form-action 'self'"}
OVERALL = "overall"  # the form field of the overall score (its question has no indicator)


@dataclass(frozen=True)
class Field:
    """A question as the form shows it: its field name, label, the levels to choose from, the value sent."""

    field: str
    label: str
    levels: tuple[str, ...]
    value: object


def field_name(question: Question) -> str:
    return f"q_{question.key or OVERALL}"


def label(question: Question, kind: str = RoundKind.branches.value) -> str:
    if kind == RoundKind.members.value:  # a member's name: the level is the answer
        return question.label
    if question.key is None:
        return i18n.tr("总体评价（0–100 分）", "Overall (0–100)")
    return question.label + (i18n.tr("（定性评定）", " (level)") if question.qualitative else i18n.tr("（0–100 分）",
                                                                                                 " (0–100)"))


_REGISTRY: list[Registry] = []


def _cached_registry() -> Registry:
    if not _REGISTRY:
        _REGISTRY.append(default_registry())
    return _REGISTRY[0]


def _render(lang: str, **values) -> Response:
    page = {"paper": None, "code": "", "note": "", "errors": [], "done": None} | values
    with i18n.using(lang):
        html = TEMPLATES.get_template("ballot.html").render(zh=lang == "zh", t=i18n.tr, **page)
    return HTMLResponse(html, headers=HEADERS)


def _lang(request: Request) -> str:
    from bastion.ui.web import preferred_locale

    asked = request.query_params.get("lang")
    return asked if asked in ("zh", "en") else preferred_locale(request.cookies)


def _sheet(lang: str, code: str, paper: box.Paper, answers: dict | None = None, note: str = "",
           errors: list[str] | None = None) -> Response:
    answers = answers or {}
    with i18n.using(lang):
        fields = [Field(field_name(q), label(q, paper.kind), tuple(q.choices) if q.qualitative else (),
                        answers.get(q.key)) for q in paper.questions]
        period, source = period_name(paper.period), paper.source_label
    return _render(lang, paper=paper, questions=fields, code=code, note=note, errors=errors or [], period=period,
                   source=source)


async def ballot_get(request: Request) -> Response:
    from bastion.ui.web import _settings_engine

    lang, code = _lang(request), (request.query_params.get("code") or "").strip()
    done = request.query_params.get("cast")
    if done is not None:
        with i18n.using(lang):
            said = i18n.tr(f"投票成功：您对 {done} 的测评票已投入投票箱。谢谢！",
                           f"Done: your ballot on {done} is in the box. Thank you!")
        return _render(lang, done=said)
    if not code:
        return _render(lang)
    _, engine = _settings_engine()

    def open_paper() -> box.Paper:
        with i18n.using(lang), transaction(engine) as session:
            return box.paper(session, code, _cached_registry())

    try:
        paper = await anyio.to_thread.run_sync(open_paper)
    except BastionError as exc:
        return _render(lang, code=code, errors=[str(exc)])
    return _sheet(lang, code, paper)


async def ballot_post(request: Request) -> Response:
    from bastion.ui.web import _settings_engine

    lang = _lang(request)
    form = await request.form()
    code, note = str(form.get("code") or "").strip(), str(form.get("note") or "")
    _, engine = _settings_engine()

    def cast() -> tuple[box.Paper | None, dict, list[str]]:
        with i18n.using(lang):
            try:
                with transaction(engine) as session:
                    paper = box.paper(session, code, _cached_registry())
            except BastionError as exc:
                return None, {}, [str(exc)]
            answers = {q.key: (str(form.get(field_name(q)) or "").strip() or None)
                       for q in paper.questions}
            wrong = [f"{p.field}：{p.reason}" if lang == "zh" else f"{p.field}: {p.reason}"
                     for p in box.answers_problems(paper.questions, answers, source=paper.source)]
            if wrong:
                return paper, answers, wrong
            try:
                with transaction(engine) as session:
                    box.cast(session, code, answers, _cached_registry(), note=note)
            except BastionError as exc:
                return paper, answers, [str(exc)]
            return paper, answers, []

    paper, answers, errors = await anyio.to_thread.run_sync(cast)
    if paper is None:
        return _render(lang, code=code, errors=errors)
    if errors:
        return _sheet(lang, code, paper, answers, note, errors)
    return RedirectResponse(f"/ballot?cast={quote(paper.org_name)}", status_code=303, headers=HEADERS)
