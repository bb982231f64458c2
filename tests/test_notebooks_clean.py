"""The guided notebooks are published with their outputs: keep them clean and small.

For every ``notebooks/*.ipynb``:

- no access/refresh token, bearer token, JWT or long client secret in any stored source or
  output, and none of the sandbox's demo *client* secrets outside the few places where a
  notebook deliberately signs in with one (demo *user* passwords such as ``demo-anna`` are
  documented demo values and allowed);
- the first markdown cell says which knowledge-base articles it covers;
- the stored widget state (``metadata.widgets``) stays under ``WIDGET_STATE_LIMIT``.

And every article in the knowledge base (``../shared/kb`` next to the repository) is named
by at least one notebook.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vnkit.sandbox import _seed, _signin

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KB_CANDIDATES = (Path("/work/shared/kb"), ROOT.parent / "shared" / "kb")

#: Bytes of ``metadata.widgets`` as stored (nbformat's one-space indent). Measured when this
#: test was written: notebook 00 stores 166,561 bytes (141,256 compact), all others none.
#: 300 KB leaves room for a few more widgets but catches a notebook saved with a big
#: DataFrame viewer or a plot's full data in its widget state.
WIDGET_STATE_LIMIT = 300_000

#: Secrets the sandbox accepts for its demo API clients (service and interactive).
DEMO_CLIENT_SECRETS = sorted(
    {c.client_secret for c in _seed.CLIENTS if c.client_secret}
    | {c.client_secret for c in _signin.INTERACTIVE_CLIENTS if c.client_secret})

#: Where a notebook's *source* deliberately uses a demo client secret, to show a sign-in by
#: hand (02: the authorization code flow and VNI's basic auth; 03: a Postman environment
#: with the test client; 09: the test client, to spend its small budget). Any other use, and
#: any use in an output, fails.
ALLOWED_SOURCE_SECRETS = {
    "02-authorization-code-flow.ipynb": {"vnkit-interactive-secret", "vnkit-vni-test-secret"},
    "03-environments-and-postman.ipynb": {"vnkit-demo-test-secret"},
    "09-throttling.ipynb": {"vnkit-demo-test-secret"},
}

_TOKEN_CHARS = r"[A-Za-z0-9_\-.~+/=]"
#: (name, pattern) of things that look like live credentials.
SECRET_PATTERNS = [
    ("JWT", re.compile(r"eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}")),
    ("token or secret field", re.compile(
        r"""["']?(access_token|refresh_token|id_token|client_secret)["']?\s*[:=]\s*"""
        r"""\\?["'](?P<value>""" + _TOKEN_CHARS + r"{24,})")),
    ("bearer token", re.compile(r"Bearer\s+" + _TOKEN_CHARS + r"{20,}")),
]

#: How a notebook names the articles it covers, in its first markdown cell.
COVERS = re.compile(r"covers\s+(?:knowledge-base\s+)?(?:all\s+)?articles?\b", re.IGNORECASE)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _output_texts(cell: dict):
    """Every piece of text a stored output holds (stream, data, error), as strings."""
    for output in cell.get("outputs", []):
        if "text" in output:
            yield _text(output["text"])
        for mime, data in (output.get("data") or {}).items():
            if mime.startswith("image/") and mime != "image/svg+xml":
                continue  # base64 pictures: no text to leak, and random enough to match
            yield data if isinstance(data, str) else json.dumps(data) \
                if not isinstance(data, list) else _text(data)
        if output.get("output_type") == "error":
            yield "\n".join([output.get("evalue", ""), *output.get("traceback", [])])


def leaks(nb: dict, name: str) -> list[str]:
    """Descriptions of every credential-looking string in ``nb``'s sources and outputs."""
    found = []
    allowed = ALLOWED_SOURCE_SECRETS.get(name, set())
    for index, cell in enumerate(nb.get("cells", [])):
        places = [("source", _text(cell.get("source")))]
        places += [("output", text) for text in _output_texts(cell)]
        for where, text in places:
            for label, pattern in SECRET_PATTERNS:
                for match in pattern.finditer(text):
                    if (match.groupdict().get("value") or "").strip("\\'\"") \
                            in DEMO_CLIENT_SECRETS:
                        continue  # a demo client secret: judged by the check below
                    found.append(f"cell {index} {where}: {label} {match.group(0)[:40]!r}...")
            for secret in DEMO_CLIENT_SECRETS:
                # Whole-word match: 'vnkit-demo-secret' is not inside 'vnkit-demo-secrets'.
                if re.search(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", text) and not (
                        where == "source" and secret in allowed):
                    found.append(f"cell {index} {where}: demo client secret {secret!r}")
    # Widget state and other metadata are stored output too.
    meta = json.dumps(nb.get("metadata", {}))
    for label, pattern in SECRET_PATTERNS:
        if pattern.search(meta):
            found.append(f"metadata: {label}")
    return found


def covers_line(nb: dict) -> str | None:
    """The first markdown cell's text if it says which articles it covers, else None."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            text = _text(cell.get("source"))
            return text if COVERS.search(text) else None
    return None


def widget_state_size(nb: dict) -> int:
    widgets = nb.get("metadata", {}).get("widgets")
    return len(json.dumps(widgets, indent=1).encode()) if widgets else 0


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 13


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_secrets_in_notebook(path):
    found = leaks(_load(path), path.name)
    assert not found, f"{path.name} stores credentials:\n" + "\n".join(found)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_says_which_articles_it_covers(path):
    assert covers_line(_load(path)), (
        f"{path.name}: the first markdown cell should say '*Covers knowledge-base "
        "article(s) NN ...*' (or 'Covers all articles')")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_widget_state_is_small(path):
    size = widget_state_size(_load(path))
    assert size <= WIDGET_STATE_LIMIT, (
        f"{path.name} stores {size:,} bytes of widget state (limit {WIDGET_STATE_LIMIT:,}): "
        "clear the widget state before saving, or store fewer widgets")


def _article_numbers_named(text: str) -> set[str]:
    """Two-digit article numbers in a 'Covers ... articles 01 (...), 04 and 16 ...' text."""
    match = COVERS.search(text)
    if not match:
        return set()
    sentence = text[match.end():].split("*", 1)[0]  # up to the end of the italic line
    sentence = re.sub(r"\([^)]*\)", "", sentence)    # drop the '(article titles)'
    sentence = re.sub(r"\bnotebooks?\s+\d\d\b", "", sentence)
    return set(re.findall(r"\b\d\d\b", sentence))


def test_every_kb_article_is_named_by_a_notebook():
    kb = next((p for p in KB_CANDIDATES if p.is_dir()), None)
    if kb is None:
        pytest.skip("the knowledge base (../shared/kb) is not present in this checkout, "
                    "so there is no list of articles to compare with")
    articles = {m.group(1) for f in kb.glob("*.txt")
                if (m := re.match(r"(\d\d)-", f.name))}
    assert articles, f"no NN-title.txt articles in {kb}"
    # Only numbers count: notebook 13's "Covers all articles" (it applies them all) names none.
    named: dict[str, list[str]] = {}
    for path in NOTEBOOKS:
        for number in _article_numbers_named(covers_line(_load(path)) or ""):
            named.setdefault(number, []).append(path.stem[:2])
    missing = sorted(articles - set(named))
    assert not missing, f"articles no notebook names near its top: {missing}"


# -- the checks themselves can fail ------------------------------------------------------
def _doctored(**changes) -> dict:
    """A small clean notebook (not a real one, so these tests judge only the checks)."""
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {},
         "source": "# Paging\n\n*Covers knowledge-base article 08.*\n"},
        {"cell_type": "code", "metadata": {}, "execution_count": 1,
         "source": "client.fetch('customer')", "outputs": []}]}
    assert not leaks(nb, "04-paging.ipynb") and covers_line(nb)
    for key, value in changes.items():
        if key == "output":
            nb["cells"].append({"cell_type": "code", "source": "print(token)", "metadata": {},
                                "execution_count": 1, "outputs": [
                                    {"output_type": "stream", "name": "stdout",
                                     "text": value}]})
        elif key == "first_markdown":
            next(c for c in nb["cells"] if c["cell_type"] == "markdown")["source"] = value
        elif key == "widgets":
            nb["metadata"]["widgets"] = value
    return nb


@pytest.mark.parametrize("text", [
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpc3Zfdm5raXRfZGVtbyJ9.c2lnbmF0dXJl\n",
    '{"access_token": "Zm9vYmFyYmF6cXV1eHF1dXhjb3JnZ3JhdWx0", "expires_in": 3600}\n',
    "Authorization: Bearer 0123456789abcdefABCDEF0123456789\n",
    "client_secret='Zm9vYmFyYmF6cXV1eHF1dXhjb3JnZ3JhdWx0'\n",
    "secret: vnkit-demo-secret\n",
    "vnkit-vni-production-secret\n",
])
def test_leak_check_catches(text):
    assert leaks(_doctored(output=text), "04-paging.ipynb")


def test_leak_check_allows_demo_user_passwords_and_short_values():
    nb = _doctored(output='password="demo-anna"; {"access_token": "..."}; Bearer <token>\n')
    assert leaks(nb, "04-paging.ipynb") == []


def test_demo_client_secret_in_output_fails_even_where_the_source_may_use_it():
    nb = _doctored(output="vnkit-demo-test-secret\n")
    assert leaks(nb, "09-throttling.ipynb")


def test_covers_and_widget_checks_can_fail():
    assert covers_line(_doctored(first_markdown="# Paging\n\nNo word on articles.")) is None
    big = {"application/vnd.jupyter.widget-state+json": {"state": {"x": "a" * 400_000}}}
    assert widget_state_size(_doctored(widgets=big)) > WIDGET_STATE_LIMIT


def test_article_numbers_are_read_from_the_covers_line():
    text = ("*Covers knowledge-base articles 01 (moving from VNI to Visma Connect), 04 (the "
            "interactive and the service API), 16 (Developer Portal teams) and 10 (Visma App "
            "Store), with a word on 07 (Visma Home). See notebook 05.*")
    assert _article_numbers_named(text) == {"01", "04", "16", "10", "07"}
