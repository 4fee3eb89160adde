"""Member duties and responsibility lists (党员岗位职责、责任清单).

- :mod:`.service` — a member's duty for a year (以岗定责、设岗定责、认岗定责) set and ended, each fulfilment recorded
  dated; a unit's responsibility list for its class of secretary kept as items, each done ticked with its
  evidence — every write audited, every date by the rule all facts share (``periods.date_problems``);
- :mod:`.queries` — a branch's duties with their fulfilments, a unit's list with its ticks, as a principal may read
  them; the facts scoring reads (``duty_record``, ``responsibility_tick``) are read with the others by
  ``core.scoring``.
"""
