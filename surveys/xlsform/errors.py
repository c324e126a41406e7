"""Problems found in an XLSForm, each located the way the researcher sees the workbook in Excel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from openpyxl.utils import get_column_letter


@dataclass(frozen=True)
class XLSFormProblem:
    """One reason a form cannot be imported.

    ``row`` is the 1-based spreadsheet row (the header is row 1), ``column`` the header text and
    ``letter`` its Excel column letter; any of them is None when the problem is not in one place.
    """

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    letter: str | None = None

    def __str__(self) -> str:
        where = []
        if self.sheet:
            where.append(f"{self.sheet} sheet")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f'column "{self.column}"' + (f" ({self.letter})" if self.letter else ""))
        return f"{', '.join(where)}: {self.message}" if where else self.message


class XLSFormError(ValueError):
    """The form was rejected whole; ``problems`` lists every reason found."""

    def __init__(self, problems: Iterable[XLSFormProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.messages))

    @property
    def messages(self) -> list[str]:
        """Every problem as one line of text."""
        return [str(problem) for problem in self.problems]


def column_letter(index: int) -> str:
    """The Excel letter of a 0-based column index (0 → A, 27 → AB)."""
    return get_column_letter(index + 1)
