"""Local Discord sandbox (docstring TBD)."""
