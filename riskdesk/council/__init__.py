"""The council: workflow and decisions, mitigations, the portfolio, and the council report."""
