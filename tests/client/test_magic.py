"""``%load_ext vnkit``: the ``%vn`` / ``%%vn`` magics, with the same checks as fetch."""

from __future__ import annotations

import subprocess
import sys

import pytest

import vnkit
from vnkit._magic import parse_vn

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def ip():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "vnkit")
    return shell


@pytest.fixture
def magic_client(sandbox, counting):
    with vnkit.connect(sandbox, adapter=counting, progress=False) as c:
        counting.reset()
        yield c


def test_line_magic_returns_and_assigns_a_frame(ip, magic_client, counting):
    frame = ip.run_line_magic("vn", "customer status=Active")
    assert len(frame) == 30 and set(frame["status"]) == {"Active"}
    ip.run_line_magic("vn", "-o active customer status=Active "
                            "lastModifiedDateTime>=2000-01-01")
    assert ip.user_ns["active"].equals(frame)
    assert counting.api_gets("/customer") >= 2


def test_cell_magic(ip, magic_client):
    shown = ip.run_cell_magic("vn", "-q -o inventory_red", "inventory\n# the red ones\n"
                                                           "attributes = COLOR=RED\n")
    assert shown is None  # -q: assigned, not shown
    red = ip.user_ns["inventory_red"]
    assert len(red) == len(magic_client.fetch("inventory", attributes={"COLOR": "RED"}))


def test_misspelling_in_the_magic_costs_no_request(ip, magic_client, counting):
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="did you mean `status`"):
        ip.run_line_magic("vn", "customer stauts=Active")
    with pytest.raises(UsageError, match="'yes' is not a boolean"):
        ip.run_line_magic("vn", "customer expandAccountInformation=yes")
    with pytest.raises(UsageError, match="did you mean `customer`"):
        ip.run_line_magic("vn", "customers")
    assert sum(counting.counts.values()) == 0


def test_describe_and_explicit_client(ip, magic_client, sandbox):
    described = ip.run_line_magic("vn", "-d supplierInvoice")
    assert described.attrs["path"] == "/v1/supplierInvoice"
    with vnkit.connect(sandbox, company="Kaleva Oy", progress=False) as kaleva:
        ip.user_ns["kaleva"] = kaleva
        other = ip.run_line_magic("vn", "-c kaleva customer")
        assert len(other) == len(kaleva.fetch("customer"))


def test_parse_vn():
    parts = parse_vn("-o x customer/{customerCd}/contact customerCd=10001 name='A B'")
    assert parts["endpoint"] == "customer/{customerCd}/contact"
    assert parts["params"] == {"customerCd": "10001", "name": "A B"}
    with pytest.raises(vnkit.FilterError, match="no endpoint"):
        parse_vn("-o x")
    with pytest.raises(vnkit.FilterError, match="not name=value"):
        parse_vn("customer", "status")


def test_load_ext_imports_ipython_lazily():
    code = "import sys, vnkit; assert 'IPython' not in sys.modules; print('ok')"
    assert subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                          text=True).stdout.strip() == "ok"
