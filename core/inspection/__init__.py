"""Inspection (督查): the day's checks and the spot-check samples, findings (检查发现) recorded against the
indicators of the cycle's scheme, with their evidence. Their rectification notices (整改通知书) and
re-verification (复验) are :mod:`bastion.core.rectification`'s.

- :mod:`.service`: what makes a valid finding (the one rule the inspectors' form, the importer and any
  other entry point apply) and the writes: a finding, its check, its evidence;
- :mod:`.queries`: what the inspectors' page reads, scoped to the principal.

Both are re-exported here, so ``inspection.record_finding`` and ``inspection.read_findings`` read as before.
"""

from .queries import (
    finding_evidence,
    inspectable_organizations,
    planned_checks,
    read_findings,
    scheme_indicators,
    spot_samples,
)
from .service import (
    FindingRules,
    attach_evidence,
    finding_problems,
    finding_rule_types,
    finding_rules,
    record_finding,
)

__all__ = ["FindingRules", "attach_evidence", "finding_evidence", "finding_problems", "finding_rule_types",
           "finding_rules", "inspectable_organizations", "planned_checks", "read_findings", "record_finding",
           "scheme_indicators", "spot_samples"]
