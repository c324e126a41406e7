"""Bundle the three CSV sheets of the demo questionnaire into one XLSForm workbook.

Run after editing a CSV: ``python surveys/demo/build_xlsx.py`` (writes emigrants_2022.xlsx here).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent


def build(target: Path) -> None:
    """Write survey.csv, choices.csv and settings.csv as the sheets of one .xlsx."""
    book = Workbook()
    book.remove(book.active)
    for sheet_name in ("survey", "choices", "settings"):
        sheet = book.create_sheet(sheet_name)
        with open(HERE / f"{sheet_name}.csv", newline="", encoding="utf-8") as source:
            for row in csv.reader(source):
                sheet.append(row)
    book.save(target)


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "emigrants_2022.xlsx")
