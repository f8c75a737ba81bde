"""analysis (see the package index in driftscale/__init__.py)."""
