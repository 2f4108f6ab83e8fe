"""Request bodies sent compressed: botocore gzips the bodies of operations that ask for
it (``requestcompression`` in the model: CloudWatch PutMetricData) once they reach
10,240 bytes, and says so with ``Content-Encoding: gzip``.

The body is decoded before routing (the query protocol finds the action in it); the
bytes as sent stay in ``wire_body`` for SigV4's payload hash.
"""

from __future__ import annotations

import zlib

from cargobay.protocol.errors import SerializationError
from cargobay.protocol.http import HttpRequest

#: the most a compressed body may expand to (bytes); AWS's request limits are far lower
MAX_DECODED = 64 << 20


def decode_body(req: HttpRequest) -> None:
    """Replace a gzip-encoded body by its content (SerializationException if it is not
    valid gzip or expands past MAX_DECODED)."""
    codings = [c.strip().lower() for c in req.header("content-encoding").split(",") if c.strip()]
    if "gzip" not in codings or req.wire_body is not None:
        return
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(req.body, MAX_DECODED + 1)
    except zlib.error as e:
        raise SerializationError(f"The request body is not valid gzip: {e}") from e
    if len(out) > MAX_DECODED or inflater.unconsumed_tail:
        raise SerializationError("The request body expands past the largest accepted size.")
    if not inflater.eof:
        raise SerializationError("The request body is not valid gzip: it ends early.")
    req.wire_body, req.body = req.body, out
