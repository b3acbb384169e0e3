"""Checklist releases in the database and the administrators' pages for them (the loader is in the engine)."""
