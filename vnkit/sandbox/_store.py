"""SQLite storage of the sandbox: a template per demo-data version and a working copy.

Generating the demo data takes tens of seconds, so it happens once per
``(DATA_VERSION, seed, SCHEMA_VERSION)``: the result is a *template* in the user cache
directory, made of two files:

``template-....sqlite3`` (tens of MB, copied for every working database)::

    meta(key, value)                      data version, seed, signing key, status values
    companies(company_id, name, tenant_id, country, currency, organization_number, role, doc)
    clients(client_id, client_secret, kind, tenant_ids)
    records(id, company_id, entity, seq, key, status, name, modified, created, attrs)
    facets(company_id, entity, field, value, id)   exact-match filter values, lower-cased
    docs(id, doc)                         overlay: documents written after generation

``template-....docs.sqlite3`` (about a hundred MB, never copied, opened read-only)::

    docs(id, doc)                         the generated read-shape JSON of each record,
                                          compressed (see below)
    dictionaries(id, resource, data)      the preset dictionary of each resource

A working database is a copy of the first file that attaches the second read-only. A
record's document is its overlay row if there is one, else the template's, so a reset
copies tens of megabytes rather than the documents, and every sandbox on a machine
shares one copy of the bulky JSON. Writes go to the working copy only: new or changed
documents into its ``docs`` overlay (plain JSON text), columns into ``records``.

Each template document is compressed on its own, so that a page or a single GET
inflates only the rows it returns: raw deflate with a preset dictionary per resource,
made of the JSON of that resource's first generated records. Most of a document's
text (member names, repeated shapes, reference objects) is then already in the
dictionary, which takes a 3 kB document to about 400 bytes where plain zlib would
give 1.1 kB. A stored document says how it is stored by its first byte: JSON text
begins with ``{`` or ``[``, a compressed one with :data:`_DEFLATED` followed by its
dictionary's id. ``Store.document`` (the SQL function ``vn_doc``, used by
``_DOC``) turns either into JSON bytes; every read of a document goes through it.

The JSON text lives apart from the filter columns so that a filter that has to look at
every record of an entity (``name`` contains ...) scans a narrow table, not megabytes
of JSON; a page then joins only the rows it returns.

The template is built group by group (:func:`company_groups`): the first group before
a sandbox answers, a later one when a request first names one of its companies
(:meth:`Store.ensure_companies`). Each build adds the group to copies of both files and
renames them into place; working databases copy the new rows in. Record ids come in a
block per company, so a record is the same (id and ``timeStamp`` included) whichever
groups were built before it; ``meta.companies`` lists the companies a file holds.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import tempfile
import threading
import time
import zlib
from bisect import bisect_right, insort
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson

from ._resources import PARENT_FIELD, Entity, field_value, parent_fields, resource
from ._settings import FALLBACK_SEED

# Bump when the table layout or the meaning of a stored column changes: it is part of
# the template's file name, so an old cache is simply not used any more.
SCHEMA_VERSION = 6  # 6: built group by group, record ids in a block per company


def row_version(number: int) -> str:
    """A ``timeStamp`` value: an 8-byte row version in base64, as SQL Server writes it.

    The API sends it in the body of every record and as the ``ETag`` of a single GET
    (facts section 10); every write gives the record a new one.
    """
    return base64.b64encode(number.to_bytes(8, "big")).decode("ascii")

# Records a batch: the writer thread holds up to three batches, so larger ones cost
# memory (5000 took the build from 0.4 to 0.7 GB) without making it faster.
_BATCH = 1000


# --------------------------------------------------------------------------- documents

# First byte of a compressed document (JSON text never begins with it); then the
# dictionary's id in two bytes, then a raw deflate stream made with that dictionary.
_DEFLATED = 1
# Raw deflate (no zlib header or checksum: 6 bytes a document saved) with a 16 kB
# window. The dictionary fills the window; a 32 kB one compressed only ~1 % better and
# copying the larger compressor state for every document cost a third more time.
_WBITS = -14
_DICTIONARY_SIZE = 1 << 14
# Level 4: half the time of level 6 (zlib's default) for documents 7 % larger; level 1
# saves little more time and gives 20 % larger documents.
_LEVEL = 4


# A number orjson writes unlike ``json`` (which uses ``repr``): 1e-05 as 0.00001 and
# 1e-07 as 1e-7. Only numbers between 1e-10 and 1e-4 differ.
_ORJSON_DIFFERS = re.compile(rb"[:,\[]-?(?:0\.0000|\d(?:\.\d+)?e-\d[,}\]])")


def _plain_json(record: Any) -> bytes:
    """Compact JSON bytes of a generated record, exactly as ``json.dumps`` writes them.

    orjson is ten times faster and writes the same bytes for what the generators
    produce; what it refuses (integer keys, integers beyond 64 bits, lone surrogates)
    or may write differently (tiny floats) goes to ``json``, so the served data does
    not depend on the encoder.
    """
    try:
        text = orjson.dumps(record)
    except TypeError:
        text = None
    # The two substring tests are quick and almost never true; the regex is not quick.
    if text is None or ((b"0.0000" in text or b"e-" in text)
                        and _ORJSON_DIFFERS.search(text)):
        return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode()
    return text


class _DocumentPacker:
    """Compresses the documents of a build, one preset dictionary per resource.

    A resource's dictionary is the JSON of its first records in the generated stream,
    so a resource's documents are held back until that much JSON has been seen (or the
    stream ended). The same stream always gives the same dictionaries and bytes.
    """

    def __init__(self, first_id: int = 1) -> None:
        # A template built group by group numbers the dictionaries of each group on
        # from the ones it has (ids are two bytes of every document).
        self._first_id = first_id
        self.dictionaries: list[tuple[int, str, bytes]] = []
        self._compressors: dict[str, tuple[int, Any]] = {}
        self._waiting: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
        self._waiting_size: dict[str, int] = defaultdict(int)

    def add(self, resource_name: str, row_id: int, text: bytes, out: list[tuple]) -> None:
        """Queue ``text`` in ``out`` for :meth:`pack` now, or once the resource has a
        dictionary."""
        known = self._compressors.get(resource_name)
        if known is not None:
            out.append((row_id, known, text))
            return
        self._waiting[resource_name].append((row_id, text))
        self._waiting_size[resource_name] += len(text)
        if self._waiting_size[resource_name] >= _DICTIONARY_SIZE:
            self._release(resource_name, out)

    def finish(self, out: list[tuple]) -> None:
        """Compress what is still held back (resources with little JSON in all)."""
        for resource_name in list(self._waiting):
            self._release(resource_name, out)

    def _release(self, resource_name: str, out: list[tuple]) -> None:
        waiting = self._waiting.pop(resource_name)
        self._waiting_size.pop(resource_name)
        dictionary = b"".join(text for _, text in waiting)[:_DICTIONARY_SIZE]
        dictionary_id = self._first_id + len(self.dictionaries)
        if dictionary_id > 0xFFFF:
            raise ValueError("too many document dictionaries for one template")
        self.dictionaries.append((dictionary_id, resource_name, dictionary))
        # Copying a primed compressor is much cheaper than priming one per document.
        primed = zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS, zdict=dictionary)
        known = self._compressors[resource_name] = (dictionary_id, primed)
        out.extend((row_id, known, text) for row_id, text in waiting)

    @staticmethod
    def pack(queued: list[tuple]) -> list[tuple[int, bytes]]:
        """``(id, stored document)`` rows of what :meth:`add` queued.

        Safe in another thread: zlib lets go of the GIL while it compresses, which is
        why the build does this in its writer thread.
        """
        rows = []
        for row_id, (dictionary_id, primed), text in queued:
            compressor = primed.copy()
            rows.append((row_id, bytes((_DEFLATED,)) + dictionary_id.to_bytes(2, "big")
                         + compressor.compress(text) + compressor.flush()))
        return rows


class DocumentReader:
    """Turns stored documents back into JSON bytes (see the module docstring)."""

    def __init__(self, dictionaries: Iterable[tuple[int, bytes]]):
        self._dictionaries = dict(dictionaries)

    def __call__(self, stored: bytes | str | None) -> bytes | None:
        """JSON bytes of a stored document (plain or compressed); None stays None."""
        if stored is None:
            return None
        if isinstance(stored, str):  # an overlay row read without a cast
            return stored.encode()
        if not stored or stored[0] != _DEFLATED:
            return stored
        dictionary = self._dictionaries[int.from_bytes(stored[1:3], "big")]
        return zlib.decompressobj(_WBITS, zdict=dictionary).decompress(stored[3:])


# --------------------------------------------------------------------------- paths


def cache_dir() -> Path:
    """Directory of the template and the default working database.

    ``VNKIT_CACHE_DIR`` wins over the platform's user cache directory, so tests and CI
    can keep their data under a directory they own.
    """
    env = os.environ.get("VNKIT_CACHE_DIR")
    if env:
        path = Path(env)
    else:
        import platformdirs

        path = Path(platformdirs.user_cache_dir("vnkit"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_data_module(name: str) -> ModuleType:
    """Import the module that provides the demo data (see ``Settings.data_module``)."""
    return importlib.import_module(name)


def effective_seed(data: ModuleType, seed: int | None) -> int:
    """The seed a run uses: the explicit one, else the data module's default."""
    if seed is not None:
        return int(seed)
    return int(getattr(data, "DEFAULT_SEED", FALLBACK_SEED))


def template_path(data: ModuleType, seed: int) -> Path:
    """Where the template for this data module, data version and seed is cached."""
    module_tag = data.__name__.rsplit(".", 1)[-1].lstrip("_")
    name = f"template-{module_tag}-d{data_version(data)}-x{SCHEMA_VERSION}-s{seed}.sqlite3"
    return cache_dir() / name


def data_version(data: ModuleType) -> str:
    """``DATA_VERSION`` plus a short hash of the generator's and the registry's source.

    A cached template is only as good as the code that built it: keying it on the
    source as well as ``DATA_VERSION`` means an edited generator never serves stale
    demo data, even when nobody remembered to bump the version.
    """
    from . import _resources

    digest = hashlib.blake2b(digest_size=4)
    for module in (data, _resources):
        source = getattr(module, "__file__", None)
        if source:
            digest.update(Path(source).read_bytes())
    return f"{data.DATA_VERSION}.{digest.hexdigest()}"


def docs_path(template: Path) -> Path:
    """The documents file that belongs to a template."""
    return template.with_name(template.name.removesuffix(".sqlite3") + ".docs.sqlite3")


# --------------------------------------------------------------------------- values


def normalise_datetime(value: Any) -> str | None:
    """Fixed-width ``YYYY-MM-DDTHH:MM:SS.ffffff`` so that text order is time order.

    A UTC offset in the record is dropped rather than converted: the API shows and
    filters by the wall-clock time it stores, and converting would move a record
    modified just after midnight onto the previous day.
    """
    if value is None or value == "":
        return None
    text = str(value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.year < 1000:  # isoformat pads the year to four digits, strftime does not
        return moment.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%f")
    # Same text as the strftime above, in a fifth of the time (the build calls this
    # for every record).
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")


def facet_text(value: Any) -> str:
    """How an exact-match filter value is stored and compared: lower-cased text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).casefold()


# Per entity, by identity (the entity is held, so its id is not reused): working the
# fields out walks every list operation of the surface, which the build used to do
# twice per record, half of a first start.
_FACET_FIELDS: dict[int, tuple[Entity, tuple[str, ...], frozenset[str]]] = {}


def _facet_plan(entity: Entity) -> tuple[tuple[str, ...], frozenset[str]]:
    """(the fields of :func:`facet_fields`, those of them that are date filters)."""
    known = _FACET_FIELDS.get(id(entity))
    if known is None or known[0] is not entity:
        fields = set(entity.filters.values())
        fields.update(entity.date_filters.values())
        fields.update(parent_fields(entity.name))
        known = _FACET_FIELDS[id(entity)] = (entity, tuple(sorted(fields)),
                                             frozenset(entity.date_filters.values()))
    return known[1], known[2]


def facet_fields(entity: Entity) -> tuple[str, ...]:
    """Record fields of ``entity`` that filters or sub-lists compare with."""
    return _facet_plan(entity)[0]


def facet_rows(company_id: int, entity: Entity, record: dict,
               row_id: int) -> list[tuple[int, str, str, str, int]]:
    """The ``facets`` rows of one record: every filterable value of it, as stored.

    Text is lower-cased for exact matches; a date filter's field is stored as
    :func:`normalise_datetime` text, so that ``documentDate>=...`` compares in time order.
    """
    fields, dates = _facet_plan(entity)
    rows = []
    for dotted in fields:
        value = field_value(record, dotted)
        if value is None:
            continue
        for item in value if isinstance(value, list) else (value,):
            if item is None or isinstance(item, dict):
                continue
            text = normalise_datetime(item) if dotted in dates else facet_text(item)
            if text is not None:
                rows.append((company_id, entity.name, dotted, text, row_id))
    return rows


def attribute_map(record: dict) -> str | None:
    """The record's attributes as compact JSON ``{ID: value}`` for the attributes filter."""
    items = record.get("attributes")
    if not items:
        return None
    out = {}
    for item in items:
        if isinstance(item, dict) and item.get("id") is not None:
            value = item.get("value")
            out[str(item["id"]).upper()] = None if value is None else str(value)
    return json.dumps(out, separators=(",", ":"), ensure_ascii=False) if out else None


# --------------------------------------------------------------------------- attributes


def _truthy(text: str) -> str:
    return "1" if text.strip().lower() in ("1", "true", "yes") else "0"


@lru_cache(maxsize=512)
def _compile_attribute_spec(spec: str) -> tuple[tuple[str, str, Any], ...]:
    """Parse the matcher the query layer built: ``[[ID, kind, wanted], ...]``."""
    out = []
    for attribute_id, kind, wanted in json.loads(spec):
        if kind == "multi":
            wanted = frozenset(v.strip() for v in wanted.split(",") if v.strip())
        elif kind == "bool":
            wanted = _truthy(wanted)
        elif kind == "itext":
            wanted = wanted.casefold()
        out.append((attribute_id, kind, wanted))
    return tuple(out)


def attribute_match(attrs: str | None, spec: str) -> int:
    """SQL function ``vn_attr_match(attrs, spec)``: 1 when every wanted attribute matches.

    Kept in SQL (rather than filtering rows in Python) so that ``COUNT``, ``LIMIT`` and
    ``OFFSET`` still describe the filtered set.
    """
    if attrs is None:
        return 0
    have_all = json.loads(attrs)
    for attribute_id, kind, wanted in _compile_attribute_spec(spec):
        have = have_all.get(attribute_id)
        if have is None:
            return 0
        if kind == "text":
            ok = have == wanted
        elif kind == "itext":
            ok = have.casefold() == wanted
        elif kind == "date":
            ok = (normalise_datetime(have) or "")[:10] == wanted
        elif kind == "bool":
            ok = _truthy(have) == wanted
        elif kind == "multi":
            ok = frozenset(v.strip() for v in have.split(",") if v.strip()) == wanted
        else:  # an unknown kind can only come from a bug in the query layer
            ok = False
        if not ok:
            return 0
    return 1


# --------------------------------------------------------------------------- building

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE companies(
    company_id INTEGER PRIMARY KEY, name TEXT NOT NULL, tenant_id TEXT NOT NULL,
    country TEXT, currency TEXT, organization_number TEXT, role TEXT, doc TEXT);
CREATE TABLE clients(
    client_id TEXT PRIMARY KEY, client_secret TEXT NOT NULL, kind TEXT NOT NULL,
    tenant_ids TEXT NOT NULL);
CREATE TABLE records(
    id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, entity TEXT NOT NULL,
    seq INTEGER NOT NULL, key TEXT COLLATE NOCASE, status TEXT, name TEXT,
    modified TEXT, created TEXT, attrs TEXT, parent TEXT COLLATE NOCASE);
CREATE TABLE docs(id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE tmpl.docs(id INTEGER PRIMARY KEY, doc BLOB NOT NULL);
CREATE TABLE tmpl.dictionaries(id INTEGER PRIMARY KEY, resource TEXT NOT NULL,
                               data BLOB NOT NULL);
CREATE TABLE facets(
    company_id INTEGER NOT NULL, entity TEXT NOT NULL, field TEXT NOT NULL,
    value TEXT NOT NULL, id INTEGER NOT NULL,
    PRIMARY KEY(company_id, entity, field, value, id)) WITHOUT ROWID;
"""

# Created after the bulk load: maintaining them row by row would slow the load down.
_INDEXES = """
CREATE UNIQUE INDEX records_seq ON records(company_id, entity, seq);
CREATE INDEX records_key ON records(company_id, entity, key);
CREATE INDEX records_status ON records(company_id, entity, status);
CREATE INDEX records_modified ON records(company_id, entity, modified);
CREATE INDEX records_created ON records(company_id, entity, created);
CREATE INDEX records_parent ON records(company_id, entity, parent);
"""


_DROP_INDEXES = "".join(
    f"DROP INDEX IF EXISTS {line.split()[3 if 'UNIQUE' in line else 2]};"
    for line in _INDEXES.strip().splitlines())


# --------------------------------------------------------------------------- groups

# Record ids come in a block per company, so a record gets the same id (and so the same
# ``timeStamp``) whichever companies were built before it, and whenever.
_ID_BLOCK = 1 << 24


def company_groups(data: ModuleType) -> tuple[tuple[int, ...], ...]:
    """The companies of a data module in build groups; the first group is built at start.

    A data module may say how its companies are grouped (``GROUPS``, a tuple of tuples
    of company ids): the sandbox generates the first group before it answers and each
    later group when a request first names one of its companies. Without ``GROUPS``
    every company is in the first group; a company no group names gets a group of its
    own after the named ones.
    """
    ids = [c.company_id for c in data.COMPANIES]
    named = [tuple(int(c) for c in group) for group in getattr(data, "GROUPS", ()) or ()]
    placed = [c for group in named for c in group]
    unknown = set(placed) - set(ids)
    if unknown or len(placed) != len(set(placed)):
        raise ValueError(f"{data.__name__}.GROUPS names unknown or repeated companies: "
                         f"{sorted(unknown) or placed}")
    if not named:
        return (tuple(ids),)
    return tuple(named) + tuple((c,) for c in ids if c not in set(placed))


def first_group(data: ModuleType) -> tuple[int, ...]:
    """Company ids built before the sandbox answers."""
    return company_groups(data)[0]


def group_of(data: ModuleType, company_id: int) -> tuple[int, ...]:
    """The build group ``company_id`` belongs to (KeyError if it has none)."""
    for group in company_groups(data):
        if company_id in group:
            return group
    raise KeyError(company_id)


def id_bases(data: ModuleType) -> dict[int, int]:
    """Each company's first record id minus one.

    The blocks run from the last group to the first, so the first group, which every
    working copy has, holds the highest ids: a record written at run time takes the
    highest id plus one, which can then never fall into the block of a company merged
    into the working copy later.
    """
    order = [c for group in reversed(company_groups(data)) for c in group]
    return {company_id: i * _ID_BLOCK for i, company_id in enumerate(order)}


def built_companies(path: Path) -> frozenset[int]:
    """Company ids whose records a template or working database holds."""
    return frozenset(json.loads(_meta_of(path, "companies") or "[]"))


def _dataclass_dict(obj: Any) -> dict:
    import dataclasses

    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def build_template(path: Path, data: ModuleType, seed: int,
                   companies: Iterable[int] | None = None,
                   documents: Path | None = None,
                   progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Generate the records of ``companies`` (default: all) into ``path`` and ``documents``.

    New files when ``path`` does not exist; otherwise ``path`` and ``documents`` are a
    template pair (a private copy: they are changed in place) that gains the companies
    it lacks. ``documents`` defaults to :func:`docs_path` of ``path``. ``progress`` is
    called with ``(company_id, records so far)`` every few thousand records. Returns
    figures about the build (records, seconds) for logging.
    """
    started = time.perf_counter()
    documents = documents or docs_path(path)
    extend = path.exists()
    everyone = [c.company_id for c in data.COMPANIES]
    wanted = everyone if companies is None else [int(c) for c in companies]
    # Used by the writer thread of _load_records too (never by both at once).
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("ATTACH DATABASE ? AS tmpl", (str(documents),))
        if not extend:
            # Large pages in the documents file: most documents (a few kB of JSON) then
            # fit in one page instead of spilling into half-empty overflow pages.
            conn.execute("PRAGMA tmpl.page_size=16384")
        conn.executescript("PRAGMA journal_mode=OFF; PRAGMA tmpl.journal_mode=OFF;"
                           "PRAGMA synchronous=OFF; PRAGMA tmpl.synchronous=OFF;"
                           "PRAGMA cache_size=-200000; PRAGMA temp_store=MEMORY;"
                           # Helper threads sort for the CREATE INDEX after the load.
                           "PRAGMA threads=2;")
        if extend:
            meta = dict(conn.execute("SELECT key, value FROM meta"))
            # Rebuilt after the load: cheaper than keeping them up to date row by row.
            conn.executescript(_DROP_INDEXES)
        else:
            meta = {}
            conn.executescript(_SCHEMA)
            conn.executemany(
                "INSERT INTO companies VALUES (?,?,?,?,?,?,?,?)",
                [(c.company_id, c.name, c.tenant_id, c.country, c.currency,
                  c.organization_number, c.role,
                  json.dumps(_dataclass_dict(c), ensure_ascii=False)) for c in data.COMPANIES])
            conn.executemany(
                "INSERT INTO clients VALUES (?,?,?,?)",
                [(c.client_id, c.client_secret, c.kind, json.dumps(list(c.tenant_ids)))
                 for c in data.CLIENTS])
        built = set(json.loads(meta.get("companies", "[]")))
        wanted = [c for c in everyone if c in set(wanted) - built]
        (first_dictionary,) = conn.execute(
            "SELECT COALESCE(MAX(id), 0) + 1 FROM tmpl.dictionaries").fetchone()
        # A data module of its own may not know the keyword: all of them, no keyword.
        source = (data.generate(seed) if wanted == everyone
                  else data.generate(seed, companies=wanted))
        conn.execute("BEGIN")
        count, statuses = _load_records(conn, source, id_bases(data), first_dictionary,
                                        progress)
        conn.execute("COMMIT")
        generated = time.perf_counter() - started
        conn.executescript(_INDEXES)
        conn.execute("ANALYZE")
        for name, values in json.loads(meta.get("status_values", "{}")).items():
            statuses[name].update(values)
        seconds = time.perf_counter() - started
        meta.update({
            "schema_version": str(SCHEMA_VERSION),
            "data_version": data_version(data),
            "data_module": data.__name__,
            "seed": str(seed),
            "companies": json.dumps(sorted(built | set(wanted))),
            "status_values": json.dumps({k: sorted(v) for k, v in statuses.items()}),
            "records": str(int(meta.get("records", 0)) + count),
            "built_seconds": f"{float(meta.get('built_seconds', 0)) + seconds:.2f}",
        })
        conn.executemany("INSERT OR REPLACE INTO meta VALUES (?,?)", meta.items())
        conn.execute("DETACH DATABASE tmpl")
    finally:
        conn.close()
    return {"records": count, "generate_and_insert_s": generated,
            "total_s": time.perf_counter() - started}


# How often a build reports progress, in records.
_PROGRESS_EVERY = 20_000


def _load_records(conn: sqlite3.Connection, source: Iterator[tuple[int, str, dict]],
                  bases: dict[int, int], first_dictionary: int = 1,
                  progress: Callable[[int, int], None] | None = None,
                  ) -> tuple[int, dict[str, set]]:
    """Insert generated records in batches; returns the count and status values seen.

    A writer thread compresses and inserts each batch while this thread generates the
    next one: compressing and SQLite both let go of the GIL, so on two cores the build
    takes little longer than generating the data alone.
    """
    seqs: dict[tuple[int, str], int] = defaultdict(int)
    numbers: dict[int, int] = defaultdict(int)  # records of each company so far
    statuses: dict[str, set] = defaultdict(set)
    facet_cache: dict[str, bool] = {}  # whether a resource has filterable fields
    resources: dict[str, Entity | None] = {}
    records: list[tuple] = []
    docs: list[tuple] = []
    facets: list[tuple] = []
    count = 0
    packer = _DocumentPacker(first_dictionary)
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vnkit-template-writer")
    pending: deque[Future] = deque()

    def write(records: list[tuple], docs: list[tuple], facets: list[tuple]) -> None:
        conn.executemany("INSERT INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?)", records)
        conn.executemany("INSERT INTO tmpl.docs VALUES (?,?)", packer.pack(docs))
        conn.executemany("INSERT OR IGNORE INTO facets VALUES (?,?,?,?,?)", facets)

    def flush() -> None:
        pending.append(writer.submit(write, records.copy(), docs.copy(), facets.copy()))
        records.clear()
        docs.clear()
        facets.clear()
        while len(pending) > 2:  # bounded memory when writing is the slower side
            pending.popleft().result()

    try:
        for company_id, entity_name, record in source:
            if entity_name in resources:
                entity = resources[entity_name]
            else:  # looked up once per resource, not once per record
                entity = resources[entity_name] = resource(entity_name)
            name = entity.name if entity else entity_name
            seqs[(company_id, name)] += 1
            numbers[company_id] += 1
            if numbers[company_id] >= _ID_BLOCK:
                raise ValueError(f"company {company_id} has more than {_ID_BLOCK - 1} "
                                 "records")
            row_id = bases[company_id] + numbers[company_id]
            count += 1
            key = status = title = modified = created = attrs = None
            # A record of a list below a path parameter names that list; served without it.
            parent = record.pop(PARENT_FIELD, None)
            parent = None if parent is None else str(parent).strip("/")
            if entity is not None:
                key = entity.key_of(record)
                if entity.status_field:
                    status = record.get(entity.status_field)
                    if status is not None:
                        status = str(status)
                        statuses[name].add(status)
                if entity.name_field:
                    title = record.get(entity.name_field)
                    title = None if title is None else str(title).casefold()
                if entity.modified_field:
                    modified = normalise_datetime(record.get(entity.modified_field))
                if entity.created_field:
                    created = normalise_datetime(record.get(entity.created_field))
                if entity.attributes:
                    attrs = attribute_map(record)
                has_facets = facet_cache.get(name)
                if has_facets is None:
                    has_facets = facet_cache[name] = bool(facet_fields(entity))
                if has_facets:
                    facets.extend(facet_rows(company_id, entity, record, row_id))
                if entity.modified_field:
                    record["timeStamp"] = row_version(row_id)
            records.append((row_id, company_id, name, seqs[(company_id, name)], key, status,
                            title, modified, created, attrs, parent))
            packer.add(name, row_id, _plain_json(record), docs)
            if len(records) >= _BATCH:
                flush()
            if progress is not None and count % _PROGRESS_EVERY == 0:
                progress(company_id, count)
        packer.finish(docs)
        flush()
        while pending:  # in order, so the first failure is the one raised
            pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        writer.shutdown(wait=True)
    conn.executemany("INSERT INTO tmpl.dictionaries VALUES (?,?,?)", packer.dictionaries)
    return count, statuses


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Exclusive lock so two processes do not both spend 20 s generating the template.

    Where ``fcntl`` is missing (Windows) both may generate; the atomic rename still
    leaves one complete template.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_template(data: ModuleType, seed: int,
                    on_generate: Callable[[Path], None] | None = None,
                    companies: Iterable[int] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> Path:
    """Return the cached template, building what it lacks first.

    ``companies``: the company ids it must hold (default: the first build group, see
    :func:`company_groups`); the build adds the whole group of each missing one.
    ``on_generate`` is called (with the template path) just before a build starts, so
    the caller can tell the user why this start is slow; ``progress`` as in
    :func:`build_template`.

    The template is a pair of files that only ever gains companies: a build works on
    copies and renames them into place, the documents file first (a superset of the
    old one, so a running sandbox may open either), then the main file, whose
    presence says "complete".
    """
    path = template_path(data, seed)
    documents = docs_path(path)
    needed = set(first_group(data) if companies is None else (int(c) for c in companies))
    for company_id in needed:
        group_of(data, company_id)  # KeyError for a company the data does not have
    if path.exists() and documents.exists() and needed <= built_companies(path):
        _private(path)  # a template built by an earlier version is 0644
        _private(documents)
        return path
    with _file_lock(path.with_suffix(".lock")):
        complete = path.exists() and documents.exists()
        built = built_companies(path) if complete else frozenset()
        if needed <= built:  # built while we waited for the lock
            return path
        groups = [g for g in company_groups(data) if set(g) & (needed - built)]
        if on_generate is not None:
            on_generate(path)
        fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp", dir=path.parent)
        os.close(fd)
        os.unlink(tmp)  # sqlite must create the files itself
        tmp_docs = tmp + ".docs"
        try:
            if complete:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.close(fd)
                shutil.copyfile(path, tmp)
                shutil.copyfile(documents, tmp_docs)
            build_template(Path(tmp), data, seed, [c for g in groups for c in g],
                           documents=Path(tmp_docs), progress=progress)
            _private(Path(tmp))
            _private(Path(tmp_docs))
            # Documents first: the main file's presence is what says "complete".
            os.replace(tmp_docs, documents)
            os.replace(tmp, path)
            _remove_outdated_templates(data, seed, path)
        finally:
            for leftover in (tmp, tmp_docs):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leftover)
    return path


def _remove_outdated_templates(data: ModuleType, seed: int, current: Path) -> None:
    """Delete this data module's templates of older data or schema versions.

    They are never used again (their names no longer match) and each holds hundreds
    of megabytes. Templates of other seeds are kept: a user may switch back.
    """
    module_tag = data.__name__.rsplit(".", 1)[-1].lstrip("_")
    keep = {current.name, docs_path(current).name, current.with_suffix(".lock").name}
    for candidate in current.parent.glob(f"template-{module_tag}-d*-x*-s{seed}.*"):
        if candidate.name not in keep:
            with contextlib.suppress(OSError):
                candidate.unlink()


def _meta_of(path: Path, key: str | None = None) -> Any:
    """The meta table of a database file (or one value of it); None if unreadable."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta"))
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return meta if key is None else meta.get(key)


def remove_db_files(path: Path) -> None:
    """Delete a database file, its side files and its lock file (when no longer used)."""
    _remove_db_files(path)
    for leftover in (path, path.with_name(path.name + ".lock")):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(leftover)


def _remove_db_files(path: Path) -> None:
    # A stale -wal file next to a replaced database would be replayed into it.
    for suffix in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(str(path) + suffix)


def prepare_working_db(template: Path, db: str | os.PathLike | None = None,
                       reset: bool = False) -> Path:
    """Return a working database made from ``template``.

    ``db=None`` means a fresh copy for this run only (under ``<cache>/runs/``, removed
    by :func:`remove_db_files` when the server stops, or by the next start if the
    server was killed): every default start serves pristine demo data, so notebooks
    give the same answers on every run. A named ``db`` persists across runs; it is
    copied from the template when it is missing, when ``reset`` is true, or when it was
    made from another template (new data, seed or schema). Each fresh copy gets its own
    token-signing key, so tokens of an earlier copy stop working after a reset.

    A reset replaces the file; a server still running on it keeps its old copy, so
    stop a sandbox before resetting the database it uses.
    """
    if db is None:
        runs = cache_dir() / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        _remove_abandoned_runs(runs)
        path = runs / f"sandbox-{os.getpid()}.sqlite3"
        reset = True
    else:
        path = Path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Two sandboxes starting together on the same file: the second waits and reuses.
    with _file_lock(path.with_name(path.name + ".lock")):
        if reset or not _is_copy_of(path, template):
            _copy_template(template, path)
        _private(path)  # also a database made by an earlier version, 0644
        _set_meta(path, "docs_path", str(docs_path(template).resolve()))
        _set_meta(path, "template", str(template.resolve()))
        merge_new_companies(path, template)  # a kept database, the template grew since
    return path


def merge_new_companies(path: Path, template: Path) -> frozenset[int]:
    """Copy the rows of companies ``template`` has and the working database ``path``
    lacks into it (records and facets; their documents are in the shared documents
    file). Returns the company ids added."""
    new = sorted(built_companies(template) - built_companies(path))
    if not new:
        return frozenset()
    marks = ",".join("?" * len(new))
    wanted = _meta_of(template) or {}
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("ATTACH DATABASE ? AS src", (str(template),))
        conn.execute("PRAGMA cache_size=-100000")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(f"INSERT INTO records SELECT * FROM src.records "
                     f"WHERE company_id IN ({marks})", new)
        conn.execute(f"INSERT OR IGNORE INTO facets SELECT * FROM src.facets "
                     f"WHERE company_id IN ({marks})", new)
        conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                         [(k, wanted[k]) for k in ("companies", "status_values", "records")
                          if k in wanted])
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE src")
        conn.execute("ANALYZE")
        # The rows went through the write-ahead log: give its space back now rather
        # than at the last close (it is as large as the rows).
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return frozenset(new)


def _remove_abandoned_runs(runs: Path) -> None:
    """Delete per-run copies whose server process is gone (killed, not stopped)."""
    for candidate in runs.glob("sandbox-*.sqlite3"):
        pid = candidate.name.removeprefix("sandbox-").removesuffix(".sqlite3")
        if pid.isdigit() and not _process_alive(int(pid)):
            remove_db_files(candidate)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def is_run_copy(path: Path) -> bool:
    """Whether ``path`` is a per-run copy made for ``db=None`` (to remove at stop)."""
    return path.parent.name == "runs" and path.name.startswith("sandbox-")


def _is_copy_of(path: Path, template: Path) -> bool:
    have, wanted = _meta_of(path), _meta_of(template) or {}
    return have is not None and all(
        have.get(k) == wanted.get(k)
        for k in ("schema_version", "data_version", "data_module", "seed"))


def _set_meta(path: Path, key: str, value: str) -> None:
    if _meta_of(path, key) == value:  # nothing to write: leave the file untouched
        return
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
    finally:
        conn.close()


def _private(path: Path) -> None:
    """Owner-only access (0600): the files hold the signing key and client secrets."""
    with contextlib.suppress(OSError):  # not ours to change, or gone meanwhile
        os.chmod(path, 0o600)


def _copy_template(template: Path, path: Path) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        # Private before the key goes in; SQLite gives -wal/-shm the same mode.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        _private(tmp)
        shutil.copyfile(template, tmp)
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('signing_key', ?)",
                         (secrets.token_hex(32),))
            conn.execute("PRAGMA journal_mode=WAL")
        finally:
            conn.close()
        _remove_db_files(path)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        _remove_db_files(tmp)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class CompanyRow:
    """A company as the server needs it (the full seed object is in ``doc``)."""

    company_id: int
    name: str
    tenant_id: str
    country: str | None
    currency: str | None
    organization_number: str | None
    role: str | None
    doc: dict


@dataclass(frozen=True)
class ClientRow:
    """A registered API client (the seed's ``DemoClient``)."""

    client_id: str
    client_secret: str
    kind: str
    tenant_ids: tuple[str, ...]

    def __repr__(self) -> str:  # never print the secret by accident
        return f"ClientRow(client_id={self.client_id!r}, kind={self.kind!r})"


class PageAnchors:
    """Where earlier pages of a list ended, so that a later page skips no rows.

    ``OFFSET`` steps over every record before the page, so the 200th page of 500 steps
    over 99,500 index entries. A page that ended at position ``k`` with the record of
    ``seq`` ``s`` tells that the records from position ``k`` on are exactly those with
    ``seq > s`` (a list names one company's entity, in which ``seq`` is unique); a
    later page then seeks there and skips only what lies between. Anchors are kept per
    filter and belong to one :attr:`Store.generation`: any write makes them useless.
    """

    _KEYS = 256  # bounded: filters are user input
    _PER_KEY = 1024

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (where, params) -> (generation, sorted positions, seq ending at each position)
        self._by_key: dict[tuple, tuple[int, list[int], dict[int, int]]] = {}

    def before(self, key: tuple, generation: int, position: int) -> tuple[int, int] | None:
        """``(k, s)``: the nearest anchor at or before ``position``, or None."""
        with self._lock:
            entry = self._by_key.get(key)
            if entry is None or entry[0] != generation:
                return None
            positions = entry[1]
            index = bisect_right(positions, position)
            if index == 0:
                return None
            found = positions[index - 1]
            return found, entry[2][found]

    def add(self, key: tuple, generation: int, position: int, seq: int) -> None:
        """Remember that the records from ``position`` on follow ``seq``."""
        with self._lock:
            entry = self._by_key.get(key)
            if entry is None or entry[0] != generation or len(entry[1]) >= self._PER_KEY:
                if len(self._by_key) >= self._KEYS:
                    self._by_key.clear()
                entry = self._by_key[key] = (generation, [], {})
            if position not in entry[2]:
                insort(entry[1], position)
                entry[2][position] = seq


# A record's document as JSON bytes: the working copy's overlay if it has one, else
# the template's, inflated by ``vn_doc`` (COALESCE stops at the first non-NULL, so an
# overlaid record's template row is never inflated). Bytes, so that pages are joined
# without a decode/encode round trip. ``_DOC_TEXT`` is the same as text, for SQL
# functions such as ``json_extract`` that read JSON text.
_DOC = "COALESCE(CAST(o.doc AS BLOB), vn_doc(t.doc))"
_DOC_TEXT = f"CAST({_DOC} AS TEXT)"
_DOC_JOIN = "LEFT JOIN main.docs o ON o.id = r.id LEFT JOIN tmpl.docs t ON t.id = r.id"
# The same document as stored (the template's still compressed), for reads that
# inflate it themselves with ``Store.document``.
_STORED_DOC = "COALESCE(CAST(o.doc AS BLOB), t.doc)"


class Store:
    """Read access to a working database, one SQLite connection per thread.

    Parameters
    ----------
    path
        A working database made by :func:`prepare_working_db`.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        self._docs_path = _meta_of(Path(path), "docs_path")
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # Bumped when companies are merged in: each thread then opens a new connection,
        # which attaches the documents file as it is now (the old one is a subset).
        self._epoch = 0
        self._merging = threading.Lock()
        # Bumped by every write (``transaction`` does it), so cached counts and page
        # anchors are never stale.
        self.generation = 0
        # Writes under way (see ``_changing``): a page read meanwhile trusts no anchor.
        self._writing = 0
        self._counts: dict[tuple, tuple[int, int]] = {}
        self._anchors = PageAnchors()
        self.document = DocumentReader(())
        conn = self.connection()
        self.document = DocumentReader(conn.execute("SELECT id, data FROM tmpl.dictionaries"))
        self.meta: dict[str, str] = dict(conn.execute("SELECT key, value FROM meta"))
        self.companies: tuple[CompanyRow, ...] = tuple(
            CompanyRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7] or "{}"))
            for r in conn.execute("SELECT * FROM companies ORDER BY company_id"))
        self.clients: dict[str, ClientRow] = {
            r[0]: ClientRow(r[0], r[1], r[2], tuple(json.loads(r[3])))
            for r in conn.execute("SELECT * FROM clients ORDER BY rowid")}
        self.company_by_id = {c.company_id: c for c in self.companies}
        self._read_meta(conn)
        by_tenant: dict[str, list[CompanyRow]] = defaultdict(list)
        for company in self.companies:
            by_tenant[company.tenant_id].append(company)
        self.companies_by_tenant = {k: tuple(v) for k, v in by_tenant.items()}
        self.status_values: dict[str, list[str]] = json.loads(
            self.meta.get("status_values", "{}"))
        self._attribute_kinds: dict[int, dict[str, str]] = {}

    @property
    def pending_companies(self) -> frozenset[int]:
        """Companies listed but not generated yet (see :meth:`ensure_companies`)."""
        return self._pending

    def _read_meta(self, conn: sqlite3.Connection) -> None:
        self.meta = dict(conn.execute("SELECT key, value FROM meta"))
        self._pending = frozenset(self.company_by_id) - frozenset(
            json.loads(self.meta.get("companies", "[]")))

    def ensure_companies(self, company_ids: Iterable[int],
                         on_generate: Callable[[list[CompanyRow]], None] | None = None,
                         ) -> frozenset[int]:
        """Make the records of these companies part of this working database.

        Blocks until done: generates their build group into the template (in a child
        process, so a server keeps answering the other companies meanwhile; another
        sandbox generating it at the same time is waited for instead), then copies
        their rows in. ``on_generate`` is called with the companies before a
        generation starts. Returns the company ids added; raises
        :class:`subprocess.CalledProcessError` if the generation failed.
        """
        wanted = frozenset(company_ids) & self.pending_companies
        if not wanted:
            return frozenset()
        with self._merging:
            wanted &= self.pending_companies
            if not wanted:
                return frozenset()
            template = Path(self.meta["template"])
            if not wanted <= built_companies(template):
                # What will be generated: the whole build group of each wanted company.
                data = load_data_module(self.meta["data_module"])
                coming = sorted({c for w in wanted for c in group_of(data, w)}
                                - built_companies(template))
                if on_generate is not None:
                    on_generate([self.company_by_id[c] for c in coming
                                 if c in self.company_by_id])
                _generate_in_child(self.meta["data_module"], int(self.meta["seed"]), coming)
            with self._changing():
                added = merge_new_companies(Path(self.path), template)
                with self._lock:
                    self._epoch += 1
                conn = self.connection()
                self.document = DocumentReader(
                    conn.execute("SELECT id, data FROM tmpl.dictionaries"))
                self._read_meta(conn)
                # In place: the query layer holds this dict.
                self.status_values.update(json.loads(self.meta.get("status_values", "{}")))
            return added

    @property
    def signing_key(self) -> bytes:
        """HMAC key of this database's tokens (made when the working copy was made)."""
        return bytes.fromhex(self.meta["signing_key"])

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (created on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.epoch != self._epoch:
            conn = None  # companies were merged in: attach the documents file anew
        if conn is None:
            epoch = self._epoch
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   uri=True)
            # immutable: the template's documents never change, so SQLite may skip
            # locking and change detection on that file.
            conn.execute("ATTACH DATABASE ? AS tmpl",
                         (Path(self._docs_path).as_uri() + "?mode=ro&immutable=1",))
            conn.executescript(
                "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"
                "PRAGMA cache_size=-16000; PRAGMA mmap_size=536870912;")
            conn.create_function("vn_attr_match", 2, attribute_match, deterministic=True)
            # Through a lambda: the reader is replaced once the dictionaries are read.
            conn.create_function("vn_doc", 1, lambda stored: self.document(stored),
                                 deterministic=True)
            self._local.conn = conn
            self._local.epoch = epoch
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on this thread's connection: ``with store.transaction()
        as conn:``.

        ``BEGIN IMMEDIATE`` takes the write lock at once, so concurrent writers queue
        here instead of failing half-way; the block commits when it ends and rolls back
        when anything is raised out of it (a refused write raises to write nothing).
        """
        conn = self.connection()
        with self._changing():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextlib.contextmanager
    def _changing(self) -> Iterator[None]:
        """Mark records as changing until the block ends, then bump :attr:`generation`.

        The generation moves only once the change is committed, so a reader that finds
        neither a change under way nor a new generation after its query knows that no
        change reached the rows it read (see :meth:`page`).
        """
        with self._lock:
            self._writing += 1
        try:
            yield
        finally:
            with self._lock:
                self.generation += 1
                self._writing -= 1

    def close(self) -> None:
        """Close every thread's connection (at server shutdown)."""
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- queries -------------------------------------------------------------

    def count(self, where: str, params: tuple) -> int:
        """Number of records matching ``where`` (cached until the next write)."""
        cache_key = (where, params)
        hit = self._counts.get(cache_key)
        if hit is not None and hit[0] == self.generation:
            return hit[1]
        generation = self.generation
        (total,) = self.connection().execute(
            f"SELECT COUNT(*) FROM records r WHERE {where}", params).fetchone()
        if len(self._counts) > 4096:  # bounded: filters are user input
            self._counts.clear()
        self._counts[cache_key] = (generation, total)
        return total

    def page(self, where: str, params: tuple, limit: int | None,
             offset: int = 0) -> list[bytes]:
        """JSON texts (as bytes) of matching records in ``seq`` order.

        ``where`` names one company's entity (``seq`` is unique in the result), as every
        list query does. The page's ids are chosen first, over the records index alone,
        and only those rows are joined to their documents: joined in the same loop,
        every record the OFFSET skips would be looked up in both document tables too.
        Where an earlier page of the same filter ended is remembered
        (:class:`PageAnchors`), so the next page seeks there instead of skipping.
        """
        key = (where, params)
        generation, quiet = self.generation, not self._writing
        anchor = self._anchors.before(key, generation, offset) if quiet and offset else None
        rows = self._page_rows(where, params, limit, offset, anchor)
        settled = not self._writing and self.generation == generation
        if anchor is not None and not settled:
            # A write began or ended meanwhile: the anchor may describe other data.
            rows = self._page_rows(where, params, limit, offset, None)
        elif quiet and settled and rows:
            self._anchors.add(key, generation, offset + len(rows), rows[-1][0])
        return [row[1] for row in rows]

    def _page_rows(self, where: str, params: tuple, limit: int | None, offset: int,
                   anchor: tuple[int, int] | None) -> list[tuple[int, Any]]:
        """``(seq, JSON bytes)`` of a page; ``anchor``: a :meth:`PageAnchors.before`."""
        if anchor is not None:
            where = f"({where}) AND r.seq > ?"
            params = (*params, anchor[1])
            offset -= anchor[0]
        paging = ""
        if limit is not None or offset:
            paging = " LIMIT ? OFFSET ?"  # LIMIT -1: no limit, only the offset
            params = (*params, -1 if limit is None else limit, offset)
        # The documents are inflated here, after SQLite has put the rows in order, so
        # that its sorter moves the compressed rows rather than the JSON.
        sql = (f"SELECT r.seq, {_STORED_DOC} FROM (SELECT r.id, r.seq FROM records r "
               f"WHERE {where} ORDER BY r.seq{paging}) r {_DOC_JOIN} ORDER BY r.seq")
        document = self.document
        return [(seq, document(stored))
                for seq, stored in self.connection().execute(sql, params)]

    def one(self, company_id: int, entity: str, key: str,
            parent: str | None = None) -> bytes | None:
        """JSON text of the record with this key (case-insensitive), or None.

        ``parent``: only a record of the list at that path (resources below a parent).
        """
        sql = (f"SELECT {_DOC} FROM records r {_DOC_JOIN} "
               "WHERE r.company_id = ? AND r.entity = ? AND r.key = ?")
        args: tuple = (company_id, entity, key)
        if parent is not None:
            sql += " AND r.parent = ?"
            args += (parent.strip("/"),)
        row = self.connection().execute(sql + " ORDER BY r.seq LIMIT 1", args).fetchone()
        return None if row is None else row[0]

    def one_by_field(self, company_id: int, entity: str, field: str,
                     value: str) -> bytes | None:
        """JSON text of the first record whose top-level ``field`` is ``value`` (any
        case), for paths that name a record by another field (``internal/{id}``)."""
        row = self.connection().execute(
            f"SELECT {_DOC} FROM records r {_DOC_JOIN} WHERE r.company_id = ? AND "
            f"r.entity = ? AND lower(CAST(json_extract({_DOC_TEXT}, ?) AS TEXT))"
            " = lower(?) ORDER BY r.seq LIMIT 1",
            (company_id, entity, "$." + field, value)).fetchone()
        return None if row is None else row[0]

    def exists(self, company_id: int, entity: str, key: str) -> bool:
        """Whether a record with this key exists."""
        return self.connection().execute(
            "SELECT 1 FROM records WHERE company_id = ? AND entity = ? AND key = ? LIMIT 1",
            (company_id, entity, key)).fetchone() is not None

    def forget_attribute_kinds(self, company_id: int) -> None:
        """Drop the cached kinds after an attribute was written."""
        self._attribute_kinds.pop(company_id, None)

    def attribute_kinds(self, company_id: int) -> dict[str, str]:
        """``{ATTRIBUTEID: controlType}`` from the company's ``attribute`` records."""
        kinds = self._attribute_kinds.get(company_id)
        if kinds is None:
            kinds = {}
            for (doc,) in self.connection().execute(
                    f"SELECT {_DOC} FROM records r {_DOC_JOIN} "
                    "WHERE r.company_id = ? AND r.entity = 'attribute'", (company_id,)):
                record = json.loads(doc)
                attribute_id = record.get("attributeID") or record.get("attributeId")
                if attribute_id:
                    kinds[str(attribute_id).upper()] = str(record.get("controlType") or "")
            self._attribute_kinds[company_id] = kinds
        return kinds


def _generate_in_child(data_module: str, seed: int, companies: list[int]) -> None:
    """Run :func:`ensure_template` for ``companies`` in a child Python process.

    Generating is pure Python: in the server's own process it would hold the GIL
    against every request for half a minute. The child's progress lines go to this
    process's standard error (the server log).
    """
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", "from vnkit.sandbox._store import _main; _main()",
                    data_module, str(seed), *map(str, companies)], check=True,
                   stdin=subprocess.DEVNULL, stdout=sys.stderr)


def _main(argv: list[str] | None = None) -> None:
    """``python -c ... DATA_MODULE SEED COMPANY_ID...``: the body of the child above."""
    import sys

    data_module, seed, *companies = sys.argv[1:] if argv is None else argv
    data = load_data_module(data_module)
    names = {c.company_id: c.name for c in data.COMPANIES}
    started = time.perf_counter()

    def progress(company_id: int, count: int) -> None:
        print(f"vnkit sandbox: generating {names.get(company_id, company_id)}: "
              f"{count:,} records ({time.perf_counter() - started:.0f} s)",
              file=sys.stderr, flush=True)

    ensure_template(data, int(seed), companies=[int(c) for c in companies],
                    progress=progress)
    print(f"vnkit sandbox: generated {', '.join(names.get(int(c), c) for c in companies)} "
          f"in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def open_store(data_module: str, seed: int | None, db: str | os.PathLike | None = None,
               reset: bool = False,
               on_generate: Callable[[Path], None] | None = None) -> Store:
    """Template (built if missing) → working copy → :class:`Store`, in one call."""
    data = load_data_module(data_module)
    template = ensure_template(data, effective_seed(data, seed), on_generate)
    return Store(prepare_working_db(template, db, reset))
