"""What a researcher asked the dashboard to compute, as plain values (built from the analysis plan
models by ``exports.aggregation.plan.plan_spec``; the computation never reads those models)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pair:
    """Two questions sharing a choice list, asked about before and after (e.g. emigration)."""

    before: str
    after: str
    label: str = ""


@dataclass(frozen=True)
class Benchmark:
    """A population share for one answer of one question, with where it comes from."""

    variable: str
    code: str
    share: float  # 0..1
    source: str = ""


@dataclass(frozen=True)
class Margin:
    """Population shares of the answers of one weighting variable (they add up to 1)."""

    variable: str
    shares: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisSpec:
    breakdowns: tuple[str, ...] = ()
    pairs: tuple[Pair, ...] = ()
    benchmarks: tuple[Benchmark, ...] = ()
    margins: tuple[Margin, ...] = ()  # at most two variables: weights by raking
    k: int = 5  # small-cell threshold: counts 1..k-1 are shown as "< k"
