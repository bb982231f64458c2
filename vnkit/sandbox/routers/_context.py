"""The company context: Visma's resources API, next to the ERP API.

``GET /resources/v1/context`` lists the companies the token may use (no
``ipp-company-id`` needed), ``.../context/{companyId}`` gives one company's details and
``.../context/userdetails`` who the token's user is. Other spellings (case, the legacy
``/API`` prefix, a trailing slash) reach these routes through the canonical-path
middleware (:mod:`.._canonical`); other methods and deeper paths get the fallback's
answers (:mod:`._fallback`).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from .._answers import json_answer, message_error
from .._deps import Caller, SettingsDep, ipp_error
from .._signin import demo_user
from .._store import CompanyRow

__all__ = ["company_dto", "router"]

router = APIRouter(prefix="/resources/v1/context", tags=["context"])


@router.head("", include_in_schema=False)
@router.get("", operation_id="list_contexts",
            summary="Companies this token can use (no ipp-company-id needed)")
async def list_contexts(who: Caller, settings: SettingsDep) -> Response:
    return json_answer(200, [{"id": c.company_id, "name": c.name,
                              "type": settings.context_type} for c in who.companies])


@router.head("/userdetails", include_in_schema=False)
@router.get("/userdetails", operation_id="get_user_details",
            summary="The signed-in user's email and name (a user's token)")
async def user_details(who: Caller) -> Response:
    user = demo_user(who.subject) if who.subject else None
    if user is None:
        return message_error(404, "There are no user details for this token: a "
                                  "service (client credentials) token has no user.")
    first, _, last = user.name.partition(" ")
    return json_answer(200, {"emailAddress": user.email, "firstName": first,
                             "lastName": last})


@router.head("/{companyId}", include_in_schema=False)
@router.get("/{companyId}", operation_id="get_context",
            summary="One company's details",
            openapi_extra={"parameters": [{"name": "companyId", "in": "path",
                                           "required": True,
                                           "schema": {"type": "integer"}}]})
async def get_context(companyId: str, who: Caller) -> Response:  # noqa: N803 - API name
    company = next((c for c in who.companies if str(c.company_id) == companyId), None)
    if company is None:
        return ipp_error(f"The token is not authorised for company '{companyId}'.")
    return json_answer(200, company_dto(company))


def company_dto(company: CompanyRow) -> dict:
    """``GET resources/v1/context/{id}``: the CompanyDto of the 8.43 schema."""
    doc = company.doc
    number = company.organization_number
    return {"companyName": company.name,
            "organizationNumber": number,
            "companyAddress1": doc.get("address1") or doc.get("address"),
            "companyAddress2": doc.get("address2"),
            "customerInfo": {"parentCustomerId": doc.get("parent_customer_id"),
                             "parentCustomerName": doc.get("parent_customer_name"),
                             "customerOrganizationNumber": number},
            "distributorInfo": {"distributorId": doc.get("distributor_id"),
                                "distributorName": doc.get("distributor_name")}}
