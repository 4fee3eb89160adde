"""The party members' register (党员名册): who the members of each branch and party group are, their posts and
their organisational relationship's moves (组织关系转接), and the head counts it derives.

- :mod:`.rules`: what a member's record must be — the one check of every entry point (the import, the form, the CLI);
- :mod:`.privacy`: who sees a member's personal data, and how it is masked;
- :mod:`.service`: a member added, edited, transferred or gone off the register, audited; the counts it derives;
- :mod:`.queries`: the register as a principal may read it, a member's history, the members of a day.

The register's import is ``core.importing.members`` (``bastion import members``).
"""

from .privacy import View, mask_phone
from .queries import (
    HISTORY_COLUMNS,
    MEMBER_COLUMNS,
    labelled,
    member_history,
    members_on,
    read_members,
)
from .rules import FIELDS, Facts, member_problems, phone_problem
from .service import (
    count_problems,
    counts,
    find_member,
    import_register,
    leave_register,
    recount,
    registered,
    save_member,
    transfer_member,
)

__all__ = [
    "FIELDS", "HISTORY_COLUMNS", "MEMBER_COLUMNS", "Facts", "View", "count_problems", "counts", "find_member", "import_register",
    "labelled", "leave_register", "mask_phone", "member_history", "member_problems", "members_on", "phone_problem",
    "read_members", "recount", "registered", "save_member", "transfer_member",
]
