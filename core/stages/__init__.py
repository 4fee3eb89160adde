"""The stages of each tenant's calendar (考核日历): spot checks, the monthly, quarterly, half-year and annual
assessments, the leaders' confirmation, the daily rectification follow-up, the opening of each year.

- :mod:`.service`: the table of stages (:data:`~.service.STAGES`: each stage's subjects and steps), the
  runner, and the convenience calls ``run_stage``, ``open_year``, ``spot_check``, ``confirm_review``;
- :mod:`.steps`: what each step does;
- :mod:`.runs`: the record of each run (``StageRun``) and the context every stage gets;
- :mod:`.queries`: the runs recorded, and each tenant's calendar with its crons.

The Prefect flow (``bastion.flows.stages``) is a generic loop over the same table: it names no stage.
"""
