"""RiskDesk: due diligence and risk assessment for cities' international partnerships."""

__version__ = "0.1.0"


def create_app(config=None):
    """Application factory (imported lazily so the pure modules never pull in Flask)."""
    from riskdesk.app import build_app

    return build_app(config)
