"""Open an uploaded workbook safely and read its sheets as located rows.

The file is refused before parsing when it is too large, not an .xlsx at all, macro-enabled, holds
embedded objects or ActiveX controls, is encrypted, or is a zip bomb (too many parts, too much
declared data in all, or one part compressed far more than a spreadsheet's XML ever is). zipfile never
unpacks more than a part declares, so a part that lies about its size fails its CRC instead of growing.
openpyxl parses the XML with defusedxml (installed), so entity expansion attacks are refused too, and
it reads cached cell values only (``data_only``): nothing in a workbook is ever evaluated or run.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from defusedxml.common import DefusedXmlException
from django.conf import settings
from openpyxl import load_workbook
from openpyxl.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from pyxform.xls2json_backends import xlsx_value_to_str

from surveys.xlsform.errors import XLSFormError, XLSFormProblem, column_letter

SHEETS = ("survey", "choices", "settings")
# Declared uncompressed size may be this many times the upload limit (XLSX XML compresses 10 to 30 times).
UNCOMPRESSED_FACTOR = 20
MAX_ZIP_MEMBERS = 500
# A part larger than this that unpacks more than MAX_RATIO times its compressed size is a bomb: XLSX
# XML compresses 10 to 30 times, and a sheet of one repeated row about 150 times at most.
RATIO_CHECKED_ABOVE = 1_000_000
MAX_RATIO = 200
# Parts that hold code or other programs' objects; a form needs none of them.
MACRO_PARTS = ("vbaproject.bin", "vbadata.xml")
EMBEDDED_PREFIXES = ("xl/activex/", "xl/embeddings/")
MAX_ROWS = 20_000
_WHITESPACE_RE = re.compile(r"\s+")


@dataclass
class Row:
    """One non-empty spreadsheet row: its 1-based number and its non-empty cells by header."""

    number: int
    values: dict[str, str]

    def get(self, header: str | None) -> str:
        return self.values.get(header, "") if header else ""


@dataclass
class Sheet:
    """A sheet's headers (with their column letters) and its non-empty rows."""

    title: str
    headers: list[str] = field(default_factory=list)
    letters: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)

    def problem(self, message: str, row: int | None = None, column: str | None = None) -> XLSFormProblem:
        """A problem located on this sheet (``column`` is a header text)."""
        letter = self.letters.get(column) if column else None
        return XLSFormProblem(message=message, sheet=self.title, row=row, column=column, letter=letter)

    def header(self, base: str) -> str | None:
        """The header whose text is ``base`` (case-insensitive), if the sheet has one."""
        return next((h for h in self.headers if h.lower() == base), None)


def check_file(file_bytes: bytes, filename: str) -> list[XLSFormProblem]:
    """Reasons to refuse the upload before any parsing: size, format, macros, zip bombs."""
    max_bytes = settings.VOLNA_XLSFORM_MAX_BYTES
    if len(file_bytes) > max_bytes:
        return [XLSFormProblem(f"the file is {len(file_bytes):,} bytes; the limit is {max_bytes:,} bytes")]
    lower = filename.lower()
    if lower.endswith((".xlsm", ".xltm", ".xlam")):
        return [XLSFormProblem("macro-enabled workbooks are refused; save the form as .xlsx")]
    if not zipfile.is_zipfile(io.BytesIO(file_bytes)):
        hint = " (the old .xls format: save it as .xlsx)" if lower.endswith(".xls") else ""
        return [XLSFormProblem(f"not an Excel workbook (.xlsx){hint}")]
    try:
        with zipfile.ZipFile(io.BytesIO(file_bytes)) as archive:
            return _archive_problems(archive, max_bytes)
    except (zipfile.BadZipFile, OSError, NotImplementedError) as error:
        return [XLSFormProblem(f"not a readable Excel workbook (.xlsx): {error}")]


def _archive_problems(archive: zipfile.ZipFile, max_bytes: int) -> list[XLSFormProblem]:
    # Sizes are the ones the archive declares; zipfile never unpacks more than that.
    members = archive.infolist()
    names = {member.filename for member in members}
    lower = [name.lower() for name in names]
    if len(members) > MAX_ZIP_MEMBERS:
        return [XLSFormProblem(f"the workbook holds {len(members)} parts; a form needs far fewer")]
    if sum(member.file_size for member in members) > max_bytes * UNCOMPRESSED_FACTOR:
        return [XLSFormProblem("the workbook unpacks to far more data than a form can hold (a zip bomb?)")]
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_CHECKED_ABOVE and ratio > MAX_RATIO:
            return [
                XLSFormProblem(
                    f'the part "{member.filename}" unpacks to {ratio:,.0f} times its packed size, far more '
                    "than any spreadsheet (a zip bomb?)"
                )
            ]
    if any(member.flag_bits & 0x1 for member in members):
        return [XLSFormProblem("the workbook is encrypted; save it again without a password")]
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        return [XLSFormProblem("not an Excel workbook (.xlsx)")]
    content_types = archive.read("[Content_Types].xml")
    if any(name.endswith(MACRO_PARTS) for name in lower) or b"macroEnabled" in content_types:
        return [XLSFormProblem("the workbook contains macros; save the form as a plain .xlsx")]
    if any(name.startswith(EMBEDDED_PREFIXES) for name in lower):
        return [
            XLSFormProblem(
                "the workbook contains embedded objects or ActiveX controls; a form needs only its sheets: "
                "copy them into a new workbook"
            )
        ]
    return []


def read_workbook(file_bytes: bytes, filename: str) -> dict[str, Sheet]:
    """The survey, choices and settings sheets (by lower-case name), or XLSFormError."""
    problems = check_file(file_bytes, filename)
    if problems:
        raise XLSFormError(problems)
    try:
        book = load_workbook(io.BytesIO(file_bytes), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on damaged files
        raise XLSFormError([_unreadable(error)]) from error
    try:
        return _read_sheets(book)
    except XLSFormError:
        raise
    except Exception as error:  # a sheet's XML is read only now (read-only mode streams it)
        raise XLSFormError([_unreadable(error)]) from error
    finally:
        book.close()


def _unreadable(error: BaseException) -> XLSFormProblem:
    """Why openpyxl could not read the workbook, naming an XML bomb as such."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return XLSFormProblem(
                "the workbook's XML declares entities or a DTD, which spreadsheets never do "
                "(an XML bomb?); save the form again from a spreadsheet program"
            )
        cause = cause.__cause__ or cause.__context__
    return XLSFormProblem(f"the workbook could not be read: {error}")


def _read_sheets(book: Workbook) -> dict[str, Sheet]:
    sheets: dict[str, Sheet] = {}
    for title in book.sheetnames:
        key = title.strip().lower()
        if key in SHEETS:
            sheets[key] = _read_sheet(book[title], title)
    if "survey" not in sheets and len(book.sheetnames) == 1:
        # pyxform reads a workbook's only sheet as the survey sheet, whatever its name
        sheets["survey"] = _read_sheet(book[book.sheetnames[0]], book.sheetnames[0])
    if "survey" not in sheets:
        found = ", ".join(f'"{name}"' for name in book.sheetnames)
        raise XLSFormError([XLSFormProblem(f'the workbook has no "survey" sheet (it has {found})')])
    return sheets


def _read_sheet(worksheet: ReadOnlyWorksheet, title: str) -> Sheet:
    sheet = Sheet(title=title)
    columns: list[str | None] = []
    problems: list[XLSFormProblem] = []
    worksheet.reset_dimensions()  # some writers record a wrong sheet size; read every stored row
    for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
        if number == 1:
            columns = _headers(sheet, cells, problems)
            continue
        values = {
            header: text
            for header, value in zip(columns, cells, strict=False)
            if header and (text := _text(value))
        }
        if values:
            sheet.rows.append(Row(number=number, values=values))
        if len(sheet.rows) > MAX_ROWS:
            problems.append(sheet.problem(f"more than {MAX_ROWS:,} rows; a form needs far fewer"))
            break
    if problems:
        raise XLSFormError(problems)
    return sheet


def _headers(sheet: Sheet, cells: tuple[object, ...], problems: list[XLSFormProblem]) -> list[str | None]:
    columns: list[str | None] = []
    for index, value in enumerate(cells):
        header = _WHITESPACE_RE.sub(" ", _text(value)) or None
        if header and header in sheet.letters:
            problems.append(
                XLSFormProblem(
                    f'the column header "{header}" appears twice ({sheet.letters[header]} and '
                    f"{column_letter(index)})",
                    sheet=sheet.title,
                    row=1,
                )
            )
            header = None
        if header:
            sheet.headers.append(header)
            sheet.letters[header] = column_letter(index)
        columns.append(header)
    return columns


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\xa0", " ").strip()
    return xlsx_value_to_str(value).strip()
