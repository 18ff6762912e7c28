"""Probes for orchestrators: liveness says the process answers, readiness that it can serve."""

import asyncio
{%- if cookiecutter.database != "none" %}
from functools import partial
{%- endif %}
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from {{ cookiecutter.package_name }}.errors import ServiceUnavailableError, problem_response
from {{ cookiecutter.package_name }}.health.probes import Probe
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.infra.database import ping
{%- endif %}
from {{ cookiecutter.package_name }}.resources import Resources, ResourcesDep

router = APIRouter(prefix="/health", tags=["health"])


class HealthStatus(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ok", "degraded"] = "ok"
    # Optional dependencies that do not answer; the service serves without them.
    degraded: list[str] = []


@router.get("/live")
async def live() -> HealthStatus:
    return HealthStatus()


def probes(resources: Resources) -> list[Probe]:
{%- if cookiecutter.database != "none" %}
    return [Probe("database", partial(ping, resources.database)), *resources.extensions.probes()]
{%- else %}
    return resources.extensions.probes()
{%- endif %}


async def failing(probes: list[Probe]) -> list[Probe]:
    """The probes whose check raised, all asked at once."""
    outcomes = await asyncio.gather(*(probe.check() for probe in probes), return_exceptions=True)
    return [probe for probe, outcome in zip(probes, outcomes, strict=True) if outcome is not None]


@router.get("/ready", responses={503: problem_response("A dependency does not answer")})
async def ready(resources: ResourcesDep) -> Readiness:
    failed = await failing(probes(resources))
    if required := [probe.name for probe in failed if probe.required]:
        raise ServiceUnavailableError(f"The {', '.join(required)} does not answer.")
    if failed:
        return Readiness(status="degraded", degraded=[probe.name for probe in failed])
    return Readiness()
