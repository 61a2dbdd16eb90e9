"""Population Stability Index (PSI) on frozen reference bins, with defined answers for degenerate input.

    PSI = sum over bins of (a_i - e_i) * ln(a_i / e_i)

where e_i is the reference's share of bin i and a_i the window's (Siddiqi, "Credit Risk Scorecards",
2006; the Jeffreys divergence of the two binned distributions). Shares of 0 are floored at EPSILON
before the logarithm (a bin empty on either side would make the term infinite). Conventions: < 0.1
stable, 0.1-0.25 moderate shift (warn), >= 0.25 significant shift (act).

The bins are the reference's own inner quantile edges (features.profile.bin_edges), frozen in the
reference profile, so every window is binned the same way. What is never scored, and what it gets:
  - fewer finite values than `min_rows` (an empty or tiny window): status `insufficient_data`, psi None;
  - a reference that is constant (all of it in one bin: PSI would be 0 whatever the window holds, or,
    for values outside that bin, a number made by the epsilon floor alone): status
    `constant_reference`, psi None, and the window's share of values off the reference value;
  - non-finite values (NaN, +-inf, missing): left out of the bins and counted in `non_finite`.
A broken reference (edges not finite or not increasing, shares that are not a distribution) raises
InvalidReference when loaded. numpy + features only (the drift Lambda carries no scikit-learn or scipy).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import numpy as np

from review_sentiment.data.cleaning import model_texts
from review_sentiment.features.numeric import NUMERIC_FEATURES, numeric_features
from review_sentiment.features.profile import DEFAULT_BINS, bin_edges, proportions

EPSILON = 1e-4  # floor for a bin's share: ln(0) is undefined
WARN, ACT = 0.1, 0.25  # the PSI conventions
MODERATE, SIGNIFICANT = WARN, ACT
DEFAULT_MIN_ROWS = 500  # see monitoring.config: below this a window's PSI is mostly sampling noise


class InvalidReference(ValueError):
    """A reference profile entry cannot be used for binning; the message says which and why."""


class Status(StrEnum):
    SCORED = "scored"
    INSUFFICIENT_DATA = "insufficient_data"
    CONSTANT_REFERENCE = "constant_reference"
    NO_REFERENCE = "no_reference"  # e.g. a champion promoted before its outputs were profiled


@dataclass(frozen=True)
class BinnedReference:
    """Frozen bins of one quantity: inner edges e_0 < ... < e_k and the reference share of each of the
    k+1 bins (-inf, e_0], (e_0, e_1], ..., (e_k, inf). `constant` holds the value of a constant reference."""

    edges: np.ndarray
    expected: np.ndarray
    constant: float | None = None

    @classmethod
    def from_profile(cls, entry: Mapping, name: str = "reference") -> BinnedReference:
        """From a profile entry {"edges": [...], "expected": [...], "min": x, "max": y}."""
        try:
            edges = np.asarray(entry["edges"], dtype=np.float64).ravel()
            expected = np.asarray(entry["expected"], dtype=np.float64).ravel()
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidReference(f"{name}: needs numeric 'edges' and 'expected' ({exc})") from None
        if not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
            raise InvalidReference(
                f"{name}: edges must be finite and strictly increasing, got {edges.tolist()}"
            )
        if len(expected) != len(edges) + 1:
            raise InvalidReference(
                f"{name}: {len(edges)} edges need {len(edges) + 1} shares, got {len(expected)}"
            )
        if not np.all(np.isfinite(expected)) or np.any(expected < 0) or abs(expected.sum() - 1.0) > 1e-6:
            raise InvalidReference(f"{name}: shares must be >= 0 and sum to 1, got {expected.tolist()}")
        low, high = entry.get("min"), entry.get("max")
        constant = None
        if low is not None and low == high:
            constant = float(low)
        elif len(edges) == 1 and expected[0] == 1.0:  # every reference value at the one edge
            constant = float(edges[0])
        return cls(edges, expected, constant)

    @classmethod
    def of(cls, reference: np.ndarray, bins: int = DEFAULT_BINS) -> BinnedReference:
        """Bins taken from reference values (their inner quantile edges), as the profile builds them."""
        values = np.asarray(reference, dtype=np.float64).ravel()
        values = values[np.isfinite(values)]
        if values.size == 0:
            raise InvalidReference("a reference needs at least one finite value")
        edges = bin_edges(values, bins)
        constant = float(values[0]) if values.min() == values.max() else None
        return cls(edges, proportions(values, edges), constant)

    @property
    def is_constant(self) -> bool:
        """All the reference in one bin: PSI could only be 0 or an artefact of the epsilon floor."""
        return self.constant is not None or len(self.edges) == 0 or float(self.expected.max()) >= 1.0


@dataclass(frozen=True)
class PsiResult:
    """One quantity's answer for one window: status, PSI (None unless scored) and what it was built from."""

    name: str
    status: Status
    psi: float | None
    rows: int  # finite values binned
    non_finite: int = 0  # values left out: NaN, +-inf, missing
    edges: list[float] = field(default_factory=list)
    expected: list[float] = field(default_factory=list)  # reference share per bin
    counts: list[int] = field(default_factory=list)  # window count per bin
    note: str = ""

    def to_dict(self) -> dict:
        data = asdict(self)
        data["status"] = str(self.status)
        return data


def checked_pair(p: Sequence[float], q: Sequence[float], measure: str) -> tuple[np.ndarray, np.ndarray]:
    """`p` and `q` as float64 vectors over the same bins; ValueError naming `measure` when their lengths
    differ or are 0, or a value is negative or not finite."""
    p, q = np.asarray(p, dtype=np.float64).ravel(), np.asarray(q, dtype=np.float64).ravel()
    if p.size == 0 or p.shape != q.shape:
        raise ValueError(f"{measure} needs two vectors of one non-zero length, got {p.size} and {q.size}")
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(q))) or np.any(p < 0) or np.any(q < 0):
        raise ValueError(f"{measure} needs finite, non-negative values")
    return p, q


def psi_from_proportions(
    expected: Sequence[float], actual: Sequence[float], epsilon: float = EPSILON
) -> float:
    """PSI of two binned distributions (shares per bin, same bins); shares below `epsilon` count as epsilon.

    Raises ValueError when the lengths differ, a share is negative or not finite, or either side is empty.
    """
    e, a = checked_pair(expected, actual, "PSI")
    e, a = np.maximum(e, epsilon), np.maximum(a, epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Count per bin (-inf, e_0], (e_0, e_1], ..., (e_k, inf) of finite `values`: int64 [len(edges)+1]."""
    # Counting values <= each edge is a vectorised comparison per edge (k+1 passes over the data, no
    # per-value binary search): about 10x faster than searchsorted + bincount for the few edges a
    # profile has. A value equal to e_i falls in (e_(i-1), e_i], as in features.profile.proportions.
    at_or_below = [np.count_nonzero(values <= edge) for edge in edges]
    return np.diff(np.asarray([0, *at_or_below, values.size], dtype=np.int64))


def score(
    name: str,
    reference: BinnedReference,
    values: np.ndarray,
    min_rows: int = DEFAULT_MIN_ROWS,
    epsilon: float = EPSILON,
) -> PsiResult:
    """PSI of the window's `values` on the reference's frozen bins, or the defined answer (module doc)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    finite = np.isfinite(values)
    kept = values if finite.all() else values[finite]
    non_finite = int(values.size - kept.size)
    base = {
        "name": name,
        "rows": int(kept.size),
        "non_finite": non_finite,
        "edges": reference.edges.tolist(),
        "expected": reference.expected.tolist(),
    }
    if reference.is_constant:
        off = (
            float(np.mean(kept != reference.constant))
            if kept.size and reference.constant is not None
            else None
        )
        what = "" if off is None else f"; {off:.1%} of the window's values differ from it"
        value = "one value" if reference.constant is None else f"the single value {reference.constant:g}"
        return PsiResult(
            status=Status.CONSTANT_REFERENCE,
            psi=None,
            counts=bin_counts(kept, reference.edges).tolist(),
            note=f"the reference holds {value} (one bin: PSI is not defined by the data){what}",
            **base,
        )
    counts = bin_counts(kept, reference.edges)
    if kept.size < min_rows:
        return PsiResult(
            status=Status.INSUFFICIENT_DATA,
            psi=None,
            counts=counts.tolist(),
            note=f"{kept.size} finite values, fewer than the minimum {min_rows}",
            **base,
        )
    psi = psi_from_proportions(reference.expected, counts / kept.size, epsilon)
    return PsiResult(status=Status.SCORED, psi=psi, counts=counts.tolist(), **base)


def psi(
    reference: np.ndarray, current: np.ndarray, bins: int = DEFAULT_BINS, min_rows: int = 1
) -> float | None:
    """PSI of `current` against bins taken from `reference` (None when not scored: see `score`)."""
    return score("value", BinnedReference.of(reference, bins), current, min_rows=min_rows).psi


def severity(value: float | None, warn: float = WARN, act: float = ACT) -> str:
    """ "none" below warn (or not scored), "warn" from warn, "act" from act."""
    if value is None or not np.isfinite(value):
        return "none"
    return "act" if value >= act else "warn" if value >= warn else "none"


def feature_references(profile: Mapping) -> dict[str, BinnedReference]:
    """Every numeric feature's frozen bins from a reference profile (features.profile.reference_profile)."""
    missing = [name for name in NUMERIC_FEATURES if name not in profile]
    if missing:
        raise InvalidReference(f"the reference profile lacks feature(s) {missing}")
    return {name: BinnedReference.from_profile(profile[name], name) for name in NUMERIC_FEATURES}


def feature_scores(
    profile: Mapping, matrix: np.ndarray, min_rows: int = DEFAULT_MIN_ROWS, epsilon: float = EPSILON
) -> dict[str, PsiResult]:
    """Per numeric feature: the answer for a window's feature matrix [N, len(NUMERIC_FEATURES)]."""
    # column-major: each feature's values contiguous (one pass per bin edge reads them in order)
    matrix = np.asfortranarray(np.asarray(matrix, dtype=np.float64).reshape(-1, len(NUMERIC_FEATURES)))
    references = feature_references(profile)
    return {
        name: score(name, references[name], matrix[:, i], min_rows, epsilon)
        for i, name in enumerate(NUMERIC_FEATURES)
    }


def feature_psi(profile: Mapping, texts: Sequence[str], min_rows: int = 1) -> dict[str, float | None]:
    """PSI per numeric feature of raw `texts` against the reference profile (None where not scored)."""
    matrix = numeric_features(model_texts(texts))
    return {name: result.psi for name, result in feature_scores(profile, matrix, min_rows).items()}
