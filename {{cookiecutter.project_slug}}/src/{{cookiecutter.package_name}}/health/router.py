"""Probes for orchestrators: liveness says the process answers, readiness that it can serve."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
{%- if cookiecutter.database != "none" %}

from {{ cookiecutter.package_name }}.errors import ServiceUnavailableError, problem_response
from {{ cookiecutter.package_name }}.infra.database import ping
from {{ cookiecutter.package_name }}.resources import DatabaseDep
{%- endif %}

router = APIRouter(prefix="/health", tags=["health"])


class HealthStatus(BaseModel):
    status: Literal["ok"] = "ok"


@router.get("/live")
async def live() -> HealthStatus:
    return HealthStatus()
{% if cookiecutter.database != "none" %}

@router.get("/ready", responses={503: problem_response("A dependency does not answer")})
async def ready(database: DatabaseDep) -> HealthStatus:
    try:
        await ping(database)
    except Exception as exc:
        raise ServiceUnavailableError("The database does not answer.") from exc
    return HealthStatus()
{%- else %}

@router.get("/ready")
async def ready() -> HealthStatus:
    """Without a database nothing can make this service unready; it answers when it is up."""
    return HealthStatus()
{%- endif %}
