"""Moving data between S3 (or a local folder) and local files: what the Glue jobs stage, the training
container reads and writes, and the pipeline's steps read and record. Every function takes the boto3
S3 client (from `review_sentiment.aws.client("s3")` in product code); those that say so accept local
paths as well as `s3://` URIs.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

# Files that tools leave next to data (_SUCCESS, .crc, .DS_Store); never data themselves.
HOUSEKEEPING_PREFIXES = ("_", ".")
# A valid bucket name (3-63 chars, lowercase, digits, dots, hyphens) and any key or prefix.
_S3_URI = re.compile(r"^s3://([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])/(.*)$")


def is_s3(uri: str) -> bool:
    return urlparse(str(uri)).scheme in ("s3", "s3a", "s3n")


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/key/or/prefix` -> (bucket, key); strict: the bucket name must be valid.

    Raises ValueError naming the URI when it is not of that shape.
    """
    match = _S3_URI.match(uri)
    if not match:
        raise ValueError(f"{uri!r} is not an S3 URI like s3://bucket/prefix/")
    return match.group(1), match.group(2)


def local_path(uri: str) -> Path:
    return Path(str(uri).removeprefix("file://"))


def join(uri: str, *parts: str) -> str:
    return "/".join([str(uri).rstrip("/"), *parts])


def is_data_file(relative: str) -> bool:
    return not any(part.startswith(HOUSEKEEPING_PREFIXES) for part in Path(relative).parts)


def _folder(prefix: str) -> str:
    return prefix if prefix.endswith("/") or not prefix else prefix + "/"


def data_objects(s3: Any, uri: str) -> Iterator[tuple[str, int]]:
    """(key, size) of the non-empty data objects at `uri`: the object itself or those under the prefix."""
    bucket, prefix = split_s3_uri(uri)
    base = _folder(prefix)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key.endswith("/") or obj.get("Size", 0) == 0:
                continue
            # the object itself, or one under the folder (s3://b/raw must not pick up s3://b/raw-old/...)
            if key == prefix or (key.startswith(base) and is_data_file(key[len(base) :])):
                yield key, obj["Size"]


def download(s3: Any, uri: str, target: Path) -> Path:
    """Copies the object or every data object under the prefix into `target` (a folder); returns the
    local path of the data: the single file, or `target` mirroring the prefix's layout."""
    target.mkdir(parents=True, exist_ok=True)
    bucket, prefix = split_s3_uri(uri)
    objects = list(data_objects(s3, uri))
    if len(objects) == 1 and objects[0][0] == prefix:
        path = target / Path(prefix).name
        s3.download_file(bucket, prefix, str(path))
        return path
    base = _folder(prefix)
    for key, _ in objects:
        path = target / key[len(base) :]
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(path))
    return target


def delete_prefix(s3: Any, uri: str) -> None:
    bucket, prefix = split_s3_uri(uri)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=_folder(prefix)):
        keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


def upload_folder(s3: Any, folder: Path, uri: str, replace: bool = True) -> int:
    """Copies every file under `folder` (but .crc checksums) to the prefix `uri` or a local folder;
    `replace` first removes what the destination held. Returns the number of files copied."""
    files = [p for p in sorted(Path(folder).rglob("*")) if p.is_file() and not p.name.endswith(".crc")]
    if not is_s3(uri):
        destination = local_path(uri)
        if replace and destination.exists():
            shutil.rmtree(destination)
        for path in files:
            target = destination / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        return len(files)
    if replace:
        delete_prefix(s3, uri)
    bucket, prefix = split_s3_uri(uri)
    for path in files:
        s3.upload_file(str(path), bucket, _folder(prefix) + str(path.relative_to(folder)))
    return len(files)


def read_bytes(s3: Any, uri: str) -> bytes:
    """The object at the s3:// `uri` (botocore's NoSuchKey when absent)."""
    bucket, key = split_s3_uri(uri)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def read_json(s3: Any, uri: str) -> Any:
    """The JSON document at the s3:// `uri`."""
    return json.loads(read_bytes(s3, uri))


def write_json(s3: Any, uri: str, payload: dict) -> None:
    """`payload` as indented JSON (keys sorted) at `uri`, an s3:// URI or a local path."""
    body = json.dumps(payload, indent=2, sort_keys=True, default=str).encode()
    if is_s3(uri):
        bucket, key = split_s3_uri(uri)
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
        return
    path = local_path(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
