"""The job scheduler: `python -m {{ cookiecutter.package_name }}.scheduler`.

It enqueues each scheduled job when its cron expression falls due (the sweep: `jobs_sweep_cron`),
and does nothing else: the workers run the jobs. Run exactly one: two schedulers would enqueue
every tick twice (deploy/k8s runs it as a single replica, replaced by stopping the old one first).
A tick missed while it was down is not made up; the sweep catches up on the next one.
"""

import asyncio
import contextlib
import signal

from taskiq import TaskiqScheduler
from taskiq.api import run_scheduler_task
from taskiq.schedule_sources import LabelScheduleSource

from {{ cookiecutter.package_name }}.jobs.broker import build_queue
from {{ cookiecutter.package_name }}.jobs.tasks import register_jobs
from {{ cookiecutter.package_name }}.observability.logging_config import configure_logging
from {{ cookiecutter.package_name }}.settings import Settings


async def schedule(settings: Settings) -> None:
    """Enqueue the scheduled jobs until cancelled."""
    queue = build_queue(settings)
    register_jobs(queue, settings)
    await queue.startup()
    try:
        await run_scheduler_task(TaskiqScheduler(queue, sources=[LabelScheduleSource(queue)]))
    finally:
        await queue.shutdown()


async def run(settings: Settings) -> None:
    """Schedule until SIGTERM or SIGINT."""
    scheduling = asyncio.create_task(schedule(settings))
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, scheduling.cancel)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await scheduling
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


def main() -> None:
    settings = Settings()
    configure_logging(settings)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
