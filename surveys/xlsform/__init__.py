"""XLSForm (.xlsx) import and export of questionnaire versions. What maps to what: docs/xlsform.md."""

from surveys.xlsform.errors import XLSFormError, XLSFormProblem
from surveys.xlsform.exporter import xlsform_export
from surveys.xlsform.importer import xlsform_import

__all__ = ["XLSFormError", "XLSFormProblem", "xlsform_export", "xlsform_import"]
