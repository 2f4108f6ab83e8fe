"""A container's ``environmentFiles``: fetch each file and read its variables.

ECS's rules: each file is an S3 object (``arn:aws:s3:::bucket/key.env``); each line is
``VARIABLE=VALUE``; lines starting with ``#`` and blank lines are ignored; the files are
read in order (a later file's variable replaces an earlier one's, as ``docker run
--env-file`` does), and the container's ``environment`` wins over all of them.
A file that cannot be fetched stops the task before it starts with ECS's
``ResourceInitializationError``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

#: Fetches one file's text by its ARN; raises OSError (or any Exception) on failure.
Fetch = Callable[[str], Awaitable[str]]


class EnvFileError(Exception):
    """A file could not be had; ``str()`` is the task's stoppedReason."""


def parse_env_file(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not name:
            continue
        out[name] = value if sep else ""
    return out


def split_s3_arn(arn: str) -> tuple[str, str]:
    """``arn:aws:s3:::bucket/key`` → (bucket, key); ValueError otherwise."""
    prefix = "arn:aws:s3:::"
    if not arn.startswith(prefix) or "/" not in arn[len(prefix) :]:
        raise ValueError(f"not an S3 object ARN: {arn}")
    bucket, _, key = arn[len(prefix) :].partition("/")
    return bucket, key


async def load_env_files(files: list[dict[str, Any]], fetch: Fetch) -> dict[str, str]:
    """The variables of ``files`` (a container's ``environmentFiles``), in ECS's order."""
    out: dict[str, str] = {}
    for f in files:
        value = str(f.get("value", ""))
        if str(f.get("type", "s3")) != "s3":
            raise EnvFileError(
                f"ResourceInitializationError: unsupported environment file type {f.get('type')!r}"
            )
        try:
            text = await fetch(value)
        except Exception as e:  # any failure to fetch fails the task, with the cause
            raise EnvFileError(
                "ResourceInitializationError: failed to download env files: "
                f"file download command: non empty error stream: {value}: {e}"
            ) from e
        out.update(parse_env_file(text))
    return out
