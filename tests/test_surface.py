"""The bundled copy of the API surface and the module that reads it."""

import json
import sys
from pathlib import Path

import pytest

from vnkit._surface import surface, template_key

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "reference" / "visma-net-api-surface.json"


@pytest.mark.skipif(not SHARED.exists(), reason="no shared reference folder beside the checkout")
def test_bundled_copy_matches_the_shared_digest():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from update_surface import compact
    finally:
        sys.path.pop(0)
    bundled = (ROOT / "vnkit" / "_data" / "surface.json").read_text(encoding="utf-8")
    assert bundled == compact(json.loads(SHARED.read_text(encoding="utf-8"))), (
        "vnkit/_data/surface.json is out of date: run tools/update_surface.py")


def test_counts_and_lookups():
    s = surface()
    assert len(s.operations) == 508 and len(s.dtos) == 1190 and len(s.enums) == 107
    assert len([o for o in s.lists() if not o.path_params]) == 106
    op = s.find("get", "/V1/Customer/{anything}")
    assert op is not None and op.path == "/v1/customer/{customerCd}"
    assert op.record_dto == "CustomerDto" and not op.is_list
    assert s.find("GET", "/v1/customerinvoice").param("CUSTOMER").name == "customer"
    assert s.find("GET", "/v1/creditTerm") is not None
    assert s.find("GET", "/v1/creditTerms") is None


def test_match_prefers_literal_segments_and_ignores_case():
    s = surface()
    op, params = s.match("GET", "/v1/CUSTOMER/balance")
    assert op.path == "/v1/customer/balance" and params == {}
    op, params = s.match("GET", "/v1/customer/10001/balance")
    assert op.path == "/v1/customer/{customerCd}/balance" and params == {"customerCd": "10001"}
    op, params = s.match("GET", "/v1/salesorder/SO/000123")
    assert params == {"orderType": "SO", "orderNbr": "000123"}
    assert s.match("DELETE", "/v1/customer/10001") is None
    assert s.match("GET", "/v1/nosuchthing") is None


def test_wrapped_fields_and_walk():
    s = surface()
    assert "name" in s.wrapped("CustomerUpdateDto")
    fields = dict(s.walk("CustomerDto"))
    assert fields["mainAddress.city"].type == "string"
    assert fields["status"].enum == "CustomerStatusEnum"
    assert "Active" in s.enums["CustomerStatusEnum"]


def test_template_key():
    assert template_key("/v1/Customer/{customerCd}/") == "/v1/customer/{}"
