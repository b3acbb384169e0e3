"""Open questions per demo proposal: how many things the engine asks staff before it can decide.

Prints, for each demo/*.yaml, the number of open questions and the questions themselves, so a
change to gating or question selection can be compared before and after. Run:
    .venv/bin/python benchmarks/open_questions.py [--list]
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from riskdesk.engine.checklists import load_release  # noqa: E402
from riskdesk.engine.document import load_path, normalize  # noqa: E402
from riskdesk.engine.scoring import score  # noqa: E402

ON = dt.date(2026, 12, 1)


def main(show_questions: bool) -> None:
    release = load_release(ROOT / "checklists")
    total = 0
    for path in sorted((ROOT / "demo").glob("*.yaml")):
        result = score(normalize(load_path(path)), release, on=ON)
        total += len(result.open_questions)
        print(f"{len(result.open_questions):3d}  {path.name}  (rating {result.rating})")
        if show_questions:
            for question in result.open_questions:
                print(f"       - {question}")
    print(f"{total:3d}  total")


if __name__ == "__main__":
    main("--list" in sys.argv)
