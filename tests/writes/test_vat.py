"""VAT diagnosis (article 17) against the sandbox's VAT set-up."""

from __future__ import annotations

import pytest

import vnkit


@pytest.fixture(scope="module")
def reader(standard_sandbox):  # reads only: the shared sandbox
    with vnkit.connect(standard_sandbox, company=2310401, progress=False) as c:
        yield c


def test_matrix_has_one_id_per_zone_and_category(reader):
    matrix = vnkit.vat_matrix(reader)
    assert matrix.loc["01", "03"] == "3"   # domestic sales x standard rate
    assert matrix.loc["11", "03"] == "1"   # domestic purchases x standard rate
    assert not matrix.isna().any().any()


def test_diagnosis_of_the_articles_error(reader):
    frame = vnkit.diagnose_vat(reader, customer="10011", item="6", vat_id="01")
    row = frame.iloc[0]
    assert (row["vat_zone"], row["vat_category"], row["applies"]) == ("01", "03", "3")
    assert row["verdict"].startswith("refused with TaxID '01' cannot be found")
    assert "no VAT id '01'" in row["verdict"]


def test_diagnosis_of_an_existing_id_from_the_wrong_zone(reader):
    frame = vnkit.diagnose_vat(reader, customer="10011", item="6", vat_id="1")
    verdict = frame.iloc[0]["verdict"]
    assert "exists but it is not set up for the partner's VAT zone 01" in verdict
    assert "send 3" in verdict


def test_diagnosis_of_a_refused_body_line_by_line(reader):
    body = vnkit.payload("supplierInvoice", {
        "supplierNumber": "50000",
        "invoiceLines": [vnkit.line(inventoryNumber="test*test", vatCodeId="1"),
                         vnkit.line(inventoryNumber="6", vatCodeId="3"),
                         vnkit.line(description="no item")]})
    frame = vnkit.diagnose_vat(reader, body=body)
    assert list(frame["applies"]) == ["1", "1", "1"]
    assert frame.loc[1, "verdict"].startswith("ok")
    assert frame.loc[2, "verdict"].startswith("refused")
    assert frame.loc[3, "vat_category"] == "03"  # the zone's default category


def test_diagnosis_needs_one_partner(reader):
    with pytest.raises(vnkit.FilterError):
        vnkit.diagnose_vat(reader, item="6")
    with pytest.raises(vnkit.FilterError):
        vnkit.diagnose_vat(reader, customer="NOPE", item="6")
