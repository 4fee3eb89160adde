"""The ledger (台账): the record of a branch's work — meetings, study, volunteer hours, deeds …

- :mod:`.service`: what makes a valid ledger entry (the one rule the branch workspace, the importer and
  any other entry point apply) and the write of one entry.

What the branch workspace reads of its ledger (entries, their evidence) is still read there
(:mod:`bastion.core.workspace`).
"""
