"""Rectification (整改): notices (整改通知书) with a deadline, the branch's answer, re-verification (复验).

The one home of the notice's rules — which notices await an answer, which are overdue, which are
open, how one is numbered and issued — used alike by the rectification stage, the inspectors'
page, the branch workspace, the dashboard, the bulletins and the CLI.

- :mod:`.service`: the rules and every write (issue, answer, re-verify, the daily follow-up);
- :mod:`.queries`: what pages and commands read, scoped to the principal.

A notice's life: ``issued`` → (the branch answers) ``responded`` → (an inspector re-verifies)
``verified`` (closed) or ``reopened`` with a new deadline → ``responded`` … An ``issued`` or
``reopened`` notice still unanswered after its deadline is marked ``overdue`` by the follow-up; an
overdue notice can still be answered.
"""
