"""The append-only audit trail: ``trail.record`` is called by every service that changes something."""
