"""Restricted-party list snapshots, screening of proposals and adjudication (matching is in the engine)."""
