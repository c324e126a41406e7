"""Formula neutralisation of text cells, shared by every writer that produces text.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some programs, a tab
or a carriage return) as a formula: ``=HYPERLINK(...)`` typed by a respondent would run when the
analyst opens the file. Such a cell gets a leading ``'``, which spreadsheets show as text and never
evaluate. Control characters other than tab, CR and LF are removed first (they have no business in a
survey answer and some of them corrupt files).

Two strengths (docs/exports.md):

- ``neutralise`` for free text: every hostile start is prefixed, ``-2`` typed as text included;
- ``neutralise_code`` for choice codes, labels and dates: the same, except that a plain number such
  as ``-1`` (a common code for "refused") is left alone, because a spreadsheet reads it as a number,
  never as a formula.

Numeric columns are never passed through either: a negative number stays a number.

``sql_neutralise`` builds the same rules as PostgreSQL expressions, so the
SQL export path and the Python path write identical bytes.
"""

from __future__ import annotations

import re

# C0 controls except tab (09), LF (0a) and CR (0d); DEL; C1 controls
CONTROL_CHARACTERS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
FORMULA_STARTS = "=+-@\t\r"
PREFIX = "'"

_CONTROL_RE = re.compile(f"[{CONTROL_CHARACTERS}]")
_PLAIN_NUMBER_RE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")

# The same classes written for PostgreSQL's regular expressions (\xhh escapes; NUL cannot occur in
# PostgreSQL text, so the class starts at 01).
_SQL_CONTROL_CLASS = r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
_SQL_HOSTILE = r"^[=+\-@\t\r]|" + _SQL_CONTROL_CLASS
_SQL_PLAIN_NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?$"


def neutralise(text: str) -> str:
    """``text`` safe to open in a spreadsheet: controls removed, a formula start prefixed with '."""
    if _CONTROL_RE.search(text):
        text = _CONTROL_RE.sub("", text)
    if text and text[0] in FORMULA_STARTS:
        return PREFIX + text
    return text


def neutralise_code(text: str) -> str:
    """Like ``neutralise``, but a plain number (a code such as ``-1``) stays as it is."""
    if _PLAIN_NUMBER_RE.fullmatch(text):
        return text
    return neutralise(text)


def sql_neutralise(expression: str, *, keep_numbers: bool = False) -> str:
    """A PostgreSQL expression applying ``neutralise`` (``neutralise_code`` with ``keep_numbers``).

    NULL stays NULL; the common case (nothing hostile) costs one regular-expression test.
    """
    stripped = f"regexp_replace({expression}, '{_SQL_CONTROL_CLASS}', '', 'g')"
    prefixed = f"regexp_replace({stripped}, '^([=+\\-@\\t\\r])', '''\\1')"
    hostile = f"{expression} ~ '{_SQL_HOSTILE}'"
    if keep_numbers:
        hostile = f"{hostile} AND {expression} !~ '{_SQL_PLAIN_NUMBER}'"
    return f"(CASE WHEN {hostile} THEN {prefixed} ELSE {expression} END)"
