"""Benchmarks and synthetic data for kpiboard (not part of the main test suite)."""
