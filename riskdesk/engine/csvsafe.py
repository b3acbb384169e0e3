"""CSV that a spreadsheet opens as text: no cell is ever evaluated as a formula.

Following OWASP's CSV-injection guidance, a text cell that begins with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is prefixed with a single quote (and any cell holding a separator, quote
or line break is quoted by the csv module), so a name such as ``=HYPERLINK("http://…")`` reaches the
reader as the text it is. Numbers stay numbers.
https://owasp.org/www-community/attacks/CSV_Injection
"""
from __future__ import annotations

import csv
import io
from typing import Any, Iterable

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell as a spreadsheet should show it: text that could start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """The whole file as text: the header, then each row, every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()
