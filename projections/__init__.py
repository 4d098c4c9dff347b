"""Projections: pure folds of the ordered events into the figures a body publishes."""
