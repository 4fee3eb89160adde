"""Each tenant's check calendar (考核日历) as Prefect deployments with cron schedules.

The calendar itself is core's (:func:`bastion.core.stages.queries.calendar`: the scheme's stages and
those every tenant runs); here each entry becomes a deployment of the ``bastion-stage`` flow (the notifications' of ``bastion-notify``).
``bastion serve`` serves them from one process; the same deployments can be applied to a standing
Prefect server and run by workers (README, "Running the calendar").
"""

from __future__ import annotations

from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from bastion.core.periods import TIME_ZONE
from bastion.core.stages.queries import NOTIFY, Scheduled

from .notify import notify_flow
from .stages import stage_flow


def deployments(schedule: list[Scheduled], *, work_pool: str | None = None) -> list[RunnerDeployment]:
    """The schedule's deployments: served by ``bastion serve``, or for ``work_pool``'s workers.

    For a work pool they name the flow by its module path (``bastion.flows.stages:stage_flow``), so a
    worker with Bastion installed runs it from the installed package: nothing to upload or build.
    """
    return [
        (notify_flow if item.stage == NOTIFY else stage_flow).to_deployment(
            name=item.name, schedules=[Cron(item.cron, timezone=TIME_ZONE)],
            parameters={"tenant": item.tenant} if item.stage == NOTIFY else {"tenant": item.tenant, "stage": item.stage},
            description=item.description, tags=[item.tenant, item.scheme, item.stage],
            work_pool_name=work_pool,
            entrypoint_type=EntrypointType.MODULE_PATH if work_pool else EntrypointType.FILE_PATH,
        )
        for item in schedule
    ]
