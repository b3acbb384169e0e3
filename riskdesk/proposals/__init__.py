"""Proposals: the intake form, import and export, the proposal page and assessment."""
