"""The dlt source: a pipeline against the firm sandbox into DuckDB gets fetch's rows."""

from __future__ import annotations

import pytest

import vnkit

dlt = pytest.importorskip("dlt")
duckdb = pytest.importorskip("duckdb")


@pytest.fixture
def pipeline(tmp_path, monkeypatch):
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    return dlt.pipeline(pipeline_name="vnkit_test", pipelines_dir=str(tmp_path / "dlt"),
                        destination=dlt.destinations.duckdb(str(tmp_path / "ledger.duckdb")),
                        dataset_name="visma")


def _query(pipeline, sql):
    with pipeline.sql_client() as client:
        return client.execute_sql(sql)


def test_a_dlt_pipeline_loads_the_same_rows_as_fetch_and_merges_changes(
        firm, company_ids, pipeline, writer):
    companies = company_ids[:2]
    source = vnkit.dlt_source(firm, companies=companies,
                              endpoints=["customer", "customerinvoice"])
    assert set(source.resources) == {"customer", "customerinvoice"}
    assert source.resources["customer"].write_disposition == "merge"
    pipeline.run(source)
    truth_lines = 0
    for company_id in companies:
        with vnkit.connect(firm, company=company_id, progress=False) as client:
            customers = client.fetch("customer")
            invoices = client.fetch("customerinvoice")
        got = _query(pipeline, "select number, name from customer where company_id = "
                               f"'{company_id}' order by number")
        assert [tuple(r) for r in got] == list(zip(customers.sort_values("number")["number"],
                                                   customers.sort_values("number")["name"]))
        got = _query(pipeline, "select reference_number, amount from customerinvoice "
                               f"where company_id = '{company_id}' order by 1")
        ordered = invoices.sort_values("referenceNumber")
        assert [tuple(r) for r in got] == list(zip(ordered["referenceNumber"],
                                                   ordered["amount"]))
        truth_lines += int(invoices["invoiceLines"].map(len).sum())
    # invoice lines are a child table
    (lines,), = _query(pipeline, "select count(*) from customerinvoice__invoice_lines")
    assert lines == truth_lines

    # a change, then a second load: one copy of the record, with the new name
    writer.use_company(companies[0])
    number = writer.fetch("customer")["number"].iloc[5]
    writer.update("customer", number, {"name": "Via dlt AS"})
    (before,), = _query(pipeline, "select count(*) from customer")
    pipeline.run(vnkit.dlt_source(firm, companies=companies, endpoints=["customer"]))
    (after,), = _query(pipeline, "select count(*) from customer")
    assert after == before
    names = _query(pipeline, f"select name from customer where number = '{number}' and "
                             f"company_id = '{companies[0]}'")
    assert [r[0] for r in names] == ["Via dlt AS"]
    state = pipeline.state["sources"]["visma_net"]["resources"]["customer"]
    assert set(state["last_modified"]) == set(companies)
