"""List answers: one page of stored records with ``metadata``, as bytes.

A list answer is assembled from the stored JSON text: each record's closing brace is
replaced by the ``metadata`` member, so a page is never parsed or re-encoded. The
generic list handler (``routers._generic``) serves every list of the surface with it.
"""

from __future__ import annotations

from .._attachments import hide_unexpanded
from .._query import QueryBuilder, max_page_size
from .._resources import Entity
from .._settings import Settings
from .._store import Store

__all__ = ["list_body", "with_metadata"]


def with_metadata(docs: list[bytes], total: int, page_max: int) -> bytes:
    """A JSON array of ``docs`` with ``metadata`` added as each object's last member.

    Each document loses its closing brace and gets ``,"metadata":{...}}`` instead. The
    pieces are memoryviews joined once, so a 1 MB page is copied once, not three times.
    """
    tail = b',"metadata":{"totalCount":%d,"maxPageSize":%d}}' % (total, page_max)
    if any(len(d) <= 2 for d in docs):  # an empty object has no member to follow
        return b"[" + b",".join(d[:-1] + tail if len(d) > 2 else b"{" + tail[1:]
                                for d in docs) + b"]"
    between = tail + b","
    pieces: list = [b"["]
    for doc in docs:
        pieces.append(memoryview(doc)[:-1])
        pieces.append(between)
    pieces[-1] = tail + b"]"
    return b"".join(pieces)


def list_body(store: Store, builder: QueryBuilder, settings: Settings, entity: Entity,
              company_id: int, params: dict[str, list[str]],
              exact: tuple[str, str] | None = None, parent: str | None = None) -> bytes:
    """A list answer's bytes: one page of records with ``metadata`` appended.

    ``exact``: ``(field, value)`` the records must have (a partner's sub-list);
    ``parent``: the list path records below a parent carry (``_parent``).
    """
    kinds = (store.attribute_kinds(company_id)
             if entity.attributes and "attributes" in params else None)
    query = builder.build(entity, company_id, params, kinds)
    if exact is not None:
        builder.add_exact(query, entity, exact[0], [exact[1]])
    if parent is not None:
        builder.add_parent(query, parent)
    where, args = query.where_sql, tuple(query.params)
    docs = store.page(where, args, query.page_size, query.offset)
    # Attachment references show on lists only when expanded (facts section 6).
    docs = hide_unexpanded(entity, params, docs, settings)
    if not docs:
        return b"[]"
    if not entity.metadata:
        return b"[" + b",".join(docs) + b"]"
    if query.offset == 0 and (query.page_size is None or len(docs) < query.page_size):
        total = len(docs)  # the whole filtered set is on this page: no COUNT needed
    else:
        total = store.count(where, args)
    page_max = query.max_page_size or max_page_size(entity, settings)
    return with_metadata(docs, total, page_max)
