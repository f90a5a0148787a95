"""Reproducible benchmarks: `make bench` (= `python -m benchmarks`) runs every `benchmarks/bench_*.py` module's
`run()` in name order; `python -m benchmarks unit_page` runs one. Never part of `make test`."""
