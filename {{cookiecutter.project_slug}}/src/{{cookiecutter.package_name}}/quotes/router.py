"""HTTP routes that call the quotes upstream."""

from fastapi import APIRouter

from {{ cookiecutter.package_name }}.errors import problem_response
from {{ cookiecutter.package_name }}.quotes.client import fetch_quote_of_the_day
from {{ cookiecutter.package_name }}.quotes.schemas import Quote
from {{ cookiecutter.package_name }}.resources import HttpClientDep, SettingsDep

router = APIRouter(prefix="/api/v1/quotes", tags=["quotes"])


@router.get(
    "/today",
    responses={
        502: problem_response("The upstream failed or answered nonsense"),
        504: problem_response("The upstream did not answer in time"),
    },
)
async def quote_of_the_day(client: HttpClientDep, settings: SettingsDep) -> Quote:
    return await fetch_quote_of_the_day(client, str(settings.quotes_url))
