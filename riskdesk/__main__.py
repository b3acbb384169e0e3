from riskdesk.cli import run

run()
