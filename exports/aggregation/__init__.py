"""Live aggregates of a wave: frequencies, cross-tabs, before/after pairs, benchmarks, weights."""
