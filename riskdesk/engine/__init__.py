"""The pure engine: the intake document, checklists, scoring, screening and report building.

Nothing here imports Flask, SQLAlchemy or the web packages (a test walks the imports); the only
project module outside it that the engine reads is ``riskdesk.vocabulary``.
"""
