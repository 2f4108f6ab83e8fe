"""What every EFS mixin uses: the store, the clock, lookups and paging."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cargobay.clock import Clock
from cargobay.protocol.base import RequestContext
from cargobay.services.efs import names
from cargobay.services.efs.errors import AccessPointNotFound, BadRequest, FileSystemNotFound
from cargobay.services.efs.paths import efs_root, fs_dir
from cargobay.store import Store

if TYPE_CHECKING:
    from cargobay.app import App

Doc = dict[str, Any]

#: DescribeFileSystems / DescribeMountTargets / DescribeAccessPoints page size default
DEFAULT_PAGE = 100


class EfsBase:
    app: App
    store: Store
    clock: Clock

    @property
    def root(self) -> str:
        return efs_root(self.app.config.data_dir)

    def fs_path(self, fs_id: str) -> str:
        return fs_dir(self.root, fs_id)

    def file_system(self, ctx: RequestContext, ref: str) -> Doc:
        fs_id = names.bare_id(ref)
        doc = self.store.get(names.FILE_SYSTEMS, names.key(ctx, fs_id))
        if doc is None:
            raise FileSystemNotFound(fs_id)
        return doc

    def access_point(self, ctx: RequestContext, ref: str) -> Doc:
        ap_id = names.bare_id(ref)
        doc = self.store.get(names.ACCESS_POINTS, names.key(ctx, ap_id))
        if doc is None:
            raise AccessPointNotFound(ap_id)
        return doc

    def scan(self, ctx: RequestContext, table: str) -> list[Doc]:
        return [doc for _, doc in self.store.scan(table, names.prefix(ctx))]


def page(
    docs: list[Doc], id_key: str, marker: str | None, size: int | None
) -> tuple[list[Doc], str | None]:
    """One page of ``docs`` (sorted by id) after ``marker`` (the last id of the previous
    page); the next marker, or None at the end."""
    docs = sorted(docs, key=lambda d: str(d[id_key]))
    if marker is not None:
        ids = [str(d[id_key]) for d in docs]
        if marker not in ids:
            raise BadRequest("Invalid Marker or NextToken")
        docs = docs[ids.index(marker) + 1 :]
    n = size or DEFAULT_PAGE
    out = docs[:n]
    return out, (str(out[-1][id_key]) if len(docs) > n else None)
