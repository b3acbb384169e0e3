"""The intake document: one proposal, the same in the form, in import/export, the CLI and tests.

This package's ``document`` module is pure (no Flask, no database) so the CLI and the checklist
loader can use it; the web views live in ``views.py``.
"""
