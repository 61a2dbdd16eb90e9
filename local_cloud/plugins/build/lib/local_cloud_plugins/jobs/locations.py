"""Fetches job code named by a location (S3 in the local cloud, a local path while developing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .runner import JobSetupError


def fetch(location: str, dest_dir: Path, s3_client: Any) -> Path:
    """`s3://bucket/key` is downloaded into dest_dir; `file:///abs/path` or `/abs/path` is used in place."""
    parsed = urlparse(location.strip())
    if parsed.scheme in ("s3", "s3a"):
        bucket, key = parsed.netloc, parsed.path.lstrip("/")
        target = dest_dir / Path(key).name
        dest_dir.mkdir(parents=True, exist_ok=True)
        try:
            s3_client.download_file(bucket, key, str(target))
        except Exception as e:
            raise JobSetupError(f"cannot fetch {location}: {e}: upload it first or fix the location") from e
        return target
    if parsed.scheme in ("file", ""):
        path = Path(unquote(parsed.path))
        if not path.is_absolute() or not path.exists():
            raise JobSetupError(f"{location} does not exist: give an s3:// location or an absolute file path")
        return path
    raise JobSetupError(f"unsupported location {location}: use s3://bucket/key or file:///absolute/path")
