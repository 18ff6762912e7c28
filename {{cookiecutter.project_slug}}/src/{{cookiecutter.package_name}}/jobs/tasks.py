"""The jobs. Each may run more than once for one enqueue (delivery is at least once: a worker
can die after the work and before the acknowledgement), so each is idempotent: running it again
changes nothing that running it once did not."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

from taskiq import AsyncBroker, Context, TaskiqDepends, TaskiqState
from taskiq.kicker import AsyncKicker

{% if cookiecutter.cache == "redis" -%}
from {{ cookiecutter.package_name }}.cache.extension import CacheExtension
from {{ cookiecutter.package_name }}.items.cache import ItemCache
{% endif -%}
from {{ cookiecutter.package_name }}.jobs import repository
from {{ cookiecutter.package_name }}.quotes.client import fetch_quote_of_the_day
from {{ cookiecutter.package_name }}.resources import Resources
from {{ cookiecutter.package_name }}.settings import Settings

ENRICH_ITEM = "enrich_item"
ENRICH_MISSED_ITEMS = "enrich_missed_items"
# The sweep leaves alone items younger than this: their own job is most likely still queued.
SWEEP_MIN_AGE = timedelta(minutes=1)
SWEEP_BATCH = 500


async def get_resources(state: Annotated[TaskiqState, TaskiqDepends()]) -> Resources:
    """What the process's lifespan opened: the service's own database, client and settings."""
    resources: Resources = state.resources
    return resources


JobResources = Annotated[Resources, TaskiqDepends(get_resources)]
JobContext = Annotated[Context, TaskiqDepends()]


async def enrich_item(item_id: int, resources: JobResources) -> None:
    """Store the quote of the day with a new item. An item enriched already, or deleted since,
    is left as it is; an upstream failure raises, and the job is tried again later."""
    quote = await fetch_quote_of_the_day(resources.http_client, str(resources.settings.quotes_url))
    async with resources.database.sessions() as session:
{%- if cookiecutter.cache == "redis" %}
        stored = await repository.set_quote(session, item_id, f"{quote.text} ({quote.author})")
    if stored:
        # After the commit, as the routes do: the next read caches the enriched item.
        await ItemCache(resources.extensions.get(CacheExtension).cache).forget(item_id)
{%- else %}
        await repository.set_quote(session, item_id, f"{quote.text} ({quote.author})")
{%- endif %}


async def enrich_missed_items(resources: JobResources, context: JobContext) -> int:
    """Enqueue the enrichment of items that have none: an enqueue lost after the item's commit
    (the queue was down) is made good here. Returns how many it enqueued."""
    created_before = datetime.now(UTC) - SWEEP_MIN_AGE
    async with resources.database.sessions() as session:
        ids = await repository.ids_without_quote(
            session, created_before=created_before, limit=SWEEP_BATCH
        )
    for item_id in ids:
        await enqueue_enrichment(context.broker, item_id)
    return len(ids)


async def enqueue_enrichment(broker: AsyncBroker, item_id: int) -> None:
    kicker: AsyncKicker[[int], None] = AsyncKicker(ENRICH_ITEM, broker, labels={})
    await kicker.kiq(item_id)


def register_jobs(broker: AsyncBroker, settings: Settings) -> None:
    """Make the jobs known to `broker`; the scheduler reads the sweep's cron from its label."""
    broker.register_task(enrich_item, ENRICH_ITEM)
    broker.register_task(
        enrich_missed_items, ENRICH_MISSED_ITEMS, schedule=[{"cron": settings.jobs_sweep_cron}]
    )
