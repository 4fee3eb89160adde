"""The pages and who sees them. Each page still asks core for everything it shows: hiding a page is
convenience, not security (``core.access`` is)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bastion.core.access import Principal
from bastion.core.models import Role

# Not "pages/": Streamlit would serve a folder of that name beside app.py as pages of their own, login or not.
PAGES_DIR = Path(__file__).parent / "views"


@dataclass(frozen=True)
class PageSpec:
    file: str
    slug: str
    zh: str
    en: str
    icon: str
    roles: frozenset[Role]

    @property
    def path(self) -> Path:
        return PAGES_DIR / self.file


PAGES = (
    PageSpec("dashboard.py", "dashboard", "领导驾驶舱", "Dashboard", ":material/monitoring:",
             frozenset({Role.admin, Role.leader, Role.inspector})),
    PageSpec("workspace.py", "workspace", "支部工作台", "Branch workspace", ":material/home_work:",
             frozenset({Role.secretary, Role.admin})),
    PageSpec("inspection.py", "inspection", "督查检查", "Inspection", ":material/fact_check:",
             frozenset({Role.inspector, Role.admin})),
    PageSpec("admin.py", "admin", "系统管理", "Administration", ":material/settings:",
             frozenset({Role.admin})),
    PageSpec("audit.py", "audit", "审计日志", "Audit trail", ":material/policy:",
             frozenset({Role.auditor, Role.admin})),
    PageSpec("inbox.py", "inbox", "站内通知", "Notifications", ":material/notifications:",
             frozenset({Role.admin, Role.leader, Role.inspector, Role.secretary})),  # the auditor is told nothing
)


def pages_for(principal: Principal) -> list[PageSpec]:
    return [page for page in PAGES if page.roles & principal.roles]
