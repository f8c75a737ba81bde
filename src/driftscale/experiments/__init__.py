"""Experiments: one module per job, each a ``run_*`` function returning a frozen result."""
