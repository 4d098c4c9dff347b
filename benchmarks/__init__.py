"""Benchmarks: measured figures, never pass/fail tests."""
