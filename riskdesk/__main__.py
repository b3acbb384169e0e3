from riskdesk.cli import main

main(prog_name="python -m riskdesk")
