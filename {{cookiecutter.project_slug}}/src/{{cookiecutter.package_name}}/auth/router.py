"""Who the caller is, as the service sees it: a quick check of a token and its scopes."""

from fastapi import APIRouter
from pydantic import BaseModel

from {{ cookiecutter.package_name }}.auth.dependencies import UNAUTHORIZED, PrincipalDep

router = APIRouter(prefix="/api/v1", tags=["auth"], responses=UNAUTHORIZED)


class Caller(BaseModel):
    subject: str
    scopes: list[str]


@router.get("/me")
async def who_am_i(principal: PrincipalDep) -> Caller:
    return Caller(subject=principal.subject, scopes=sorted(principal.scopes))
