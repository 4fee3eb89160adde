"""Restructuring (机构调整): merges, splits, moves, renames and dissolutions of the organisation tree, dated and
audited, with the predecessor → successor links (lineage) that carry a branch's history and, in periods not yet
closed, its facts across a merge or a split.

- :mod:`.service`: the five changes (for a principal, and for the importer's actor), each in the caller's
  transaction, all or nothing, with a preview of what it would do; :mod:`.rules`, what they check and how they
  refuse; :mod:`.consequences`, what a change means for the periods;
- :mod:`.queries`: what the rest of Bastion reads — the heirs scoring counts facts for, a branch's lineage, the
  history list.

Both are re-exported here.
"""

from .queries import (
    HISTORY_COLUMNS,
    LINEAGE_COLUMNS,
    Lineage,
    carried,
    heirs,
    history_of,
    lineage,
    read_restructurings,
    reassign,
    restructured_since,
    restructurings_seen,
)
from .rules import Refused, Successor, parse_successor
from .service import (
    Outcome,
    dissolve,
    dissolve_as,
    kind_label,
    merge,
    merge_as,
    move,
    move_as,
    rename,
    rename_as,
    split,
    split_as,
)

__all__ = ["HISTORY_COLUMNS", "LINEAGE_COLUMNS", "Lineage", "Outcome", "Refused", "Successor", "carried", "dissolve",
           "dissolve_as", "heirs", "history_of", "kind_label", "lineage", "merge", "merge_as", "move", "move_as", "parse_successor",
           "read_restructurings", "reassign", "rename", "rename_as", "restructured_since", "restructurings_seen", "split", "split_as"]
