"""Benchmarks: `make bench` runs them all, `make bench BENCH=locate` one. Never run by `make test`."""
