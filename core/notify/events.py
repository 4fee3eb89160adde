"""What Bastion tells people (通知事项): each event's name, its message in Chinese and English, and the page it
concerns. A message is rendered once, in its recipient's language (``User.locale``), when it is put in the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Pair = tuple[str, str]


@dataclass(frozen=True)
class Event:
    code: str
    name: Pair  # what the event is called on the pages and in ``bastion notify``
    title: Pair  # the message's title: str.format templates over the occurrence's parameters
    body: Pair
    link: str  # the page it concerns

    def render(self, params: dict[str, Any], locale: str) -> tuple[str, str]:
        """The title and body in ``locale`` (``zh`` or ``en``)."""
        n = 1 if locale == "en" else 0
        return self.title[n].format(**params), self.body[n].format(**params)


EVENTS: dict[str, Event] = {e.code: e for e in (
    Event("notice_due", ("整改期限提醒", "rectification due"),
          ("整改期限提醒：{notice_no}", "Rectification due: {notice_no}"),
          ("{org}的整改通知书 {notice_no}（{problem}）将于 {deadline} 到期，还有 {days} 天，请按期反馈整改情况。",
           "{org}'s rectification notice {notice_no} ({problem}) is due on {deadline}, in {days} day(s): answer it "
           "in time."), "/workspace"),
    Event("notice_overdue", ("整改逾期", "rectification overdue"),
          ("整改逾期：{notice_no}", "Rectification overdue: {notice_no}"),
          ("{org}的整改通知书 {notice_no}（{problem}）已于 {deadline} 到期，尚未整改到位（复验通过）。",
           "{org}'s rectification notice {notice_no} ({problem}) was due on {deadline} and is not closed "
           "(re-verified)."), "/inspection"),
    Event("term_ending", ("换届提醒", "term ending"),
          ("换届提醒：{org}", "Term ending: {org}"),
          ("{org}书记 {secretary} 的任期将于 {end} 届满（还有 {days} 天），请按期做好换届选举准备。",
           "The term of {org}'s secretary {secretary} ends on {end}, in {days} day(s): prepare the election."),
          "/admin"),
    Event("term_ended", ("任期届满未换届", "term ended"),
          ("换届提醒：{org}书记任期已届满", "Term ended: {org}"),
          ("{org}书记 {secretary} 的任期已于 {end} 届满，尚未登记换届，请及时组织换届选举。",
           "The term of {org}'s secretary {secretary} ended on {end} and no new term is recorded: hold the "
           "election."), "/admin"),
    Event("round_opened", ("民主测评开启", "ballot round opened"),
          ("民主测评已开启：{period}", "Ballot round open: {period}"),
          ("{period} 民主测评已开启{until}。请组织党员和群众凭测评码投票。",
           "The {period} ballot round is open{until}: members vote with their codes."), "/admin"),
    Event("round_closing", ("民主测评即将截止", "ballot round closing"),
          ("民主测评即将截止：{period}", "Ballot round closing: {period}"),
          ("{period} 民主测评将于 {deadline} 截止，目前已投 {cast}/{codes} 票。",
           "The {period} ballot round closes on {deadline}: {cast} of {codes} ballots cast so far."), "/admin"),
    Event("results_published", ("考核结果发布", "results published"),
          ("考核结果已发布：{period}", "Results published: {period}"),
          ("{period}考核结果已发布{mine}。", "The results of {period} are published{mine}."), "/workspace"),
    Event("appeal_decided", ("申诉办理结果", "appeal decided"),
          ("申诉办理结果：第 {id} 号申诉{status}", "Appeal {id}: {status}"),
          ("第 {id} 号申诉（{org} {period} {indicator}）已办理：{status}。办理意见：{decision}",
           "Appeal {id} ({org} {period} {indicator}) is decided: {status}. {decision}"), "/workspace"),
    Event("meetings_missing", ("三会一课提醒", "meetings missing"),
          ("三会一课提醒：{month}", "Meetings reminder: {month}"),
          ("{org}本月（{month}）尚未登记{missing}，请在月底前召开并记入台账。",
           "{org} has no {missing} recorded for {month}: hold it and record it before the month ends."),
          "/workspace"),
)}
