"""XLSForm import: what maps to what, and forms rejected whole with the sheet, row and column named."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from surveys.models import Choice, Question, Questionnaire, Section
from surveys.xlsform import XLSFormError, xlsform_import
from tests.factories import SurveyFactory
from tests.xlsform_helpers import CHOICES_HEADER, SURVEY_HEADER, YES_NO, make_xlsform, with_column

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "surveys" / "demo" / "emigrants_2022.xlsx"


def basic_survey_rows() -> list[list[object]]:
    """A one-page form: rows 2 to 5 of the survey sheet."""
    return [
        [*SURVEY_HEADER, "required", "relevant"],
        ["begin_group", "about", "About you", "О вас", "", ""],
        ["select_one yes_no", "consent", "Do you agree?", "Согласны?", "yes", ""],
        ["integer", "age", "Your age", "Ваш возраст", "", "${consent} = 'yes'"],
        ["end_group", "about", "", "", "", ""],
    ]


def rejected(survey, file_bytes: bytes, filename: str = "form.xlsx") -> list[str]:
    """The problems of a rejected import, after checking that nothing was written."""
    before = (Questionnaire.objects.count(), Section.objects.count(), Question.objects.count())
    with pytest.raises(XLSFormError) as error:
        xlsform_import(survey=survey, file_bytes=file_bytes, filename=filename)
    assert (Questionnaire.objects.count(), Section.objects.count(), Question.objects.count()) == before
    return error.value.messages


def test_demo_form_imports_with_its_pages_questions_and_russian_labels():
    survey = SurveyFactory(languages=["en", "ru"], default_language="en")

    questionnaire = xlsform_import(survey=survey, file_bytes=DEMO.read_bytes(), filename=DEMO.name)

    assert questionnaire.status == Questionnaire.Status.DRAFT
    assert list(questionnaire.sections.values_list("name", flat=True)) == [
        "consent_page",
        "background",
        "activism",
        "attitudes",
    ]
    assert questionnaire.questions.count() == 20
    assert questionnaire.choice_lists.count() == 12
    consent = questionnaire.questions.get(name="consent")
    assert consent.label["ru"] == "Согласны ли вы принять участие в опросе?"
    assert consent.required is True
    assert consent.choice_list.name == "yes_no"
    birth_year = questionnaire.questions.get(name="birth_year")
    assert birth_year.constraint == ". >= 1930 and . <= 2008"
    assert birth_year.constraint_message["ru"] == "Введите год от 1930 до 2008"
    assert birth_year.hint == {"en": "For example 1990", "ru": "Например 1990"}
    assert questionnaire.sections.get(name="background").relevant == "${consent} = 'yes'"
    assert questionnaire.questions.get(name="comment").appearance == "multiline"
    assert Choice.objects.get(choice_list__questionnaire=questionnaire, code="AE").label["ru"] == "ОАЭ"


def test_import_keeps_the_original_file_and_numbers_the_draft_after_the_last_version():
    survey = SurveyFactory()
    file_bytes = make_xlsform(basic_survey_rows(), YES_NO)

    first = xlsform_import(survey=survey, file_bytes=file_bytes, filename="form v1.xlsx")
    second = xlsform_import(survey=survey, file_bytes=file_bytes, filename="form v2.xlsx")

    first.refresh_from_db()
    assert (first.number, second.number) == (1, 2)
    assert bytes(first.source_file) == file_bytes
    assert first.source_filename == "form v1.xlsx"


def test_positions_follow_the_sheet_and_translations_are_recorded_as_current():
    survey = SurveyFactory()

    questionnaire = xlsform_import(
        survey=survey, file_bytes=make_xlsform(basic_survey_rows(), YES_NO), filename="f.xlsx"
    )

    consent, age = questionnaire.questions.order_by("position")
    assert (consent.name, consent.position, age.name, age.position) == ("consent", 0, "age", 1)
    assert consent.translation_state("label", "ru", "en") == "ok"
    assert [c.code for c in consent.choice_list.choices.all()] == ["yes", "no"]


def test_questions_outside_groups_go_into_automatic_pages():
    rows = [
        SURVEY_HEADER,
        ["note", "hello", "Welcome", "Добро пожаловать"],
        ["begin_group", "page_3", "Second", "Вторая"],
        ["text", "city", "City", "Город"],
        ["end_group", "", "", ""],
        ["text", "last", "Last", "Последний"],
    ]

    questionnaire = xlsform_import(survey=SurveyFactory(), file_bytes=make_xlsform(rows), filename="f.xlsx")

    sections = list(questionnaire.sections.order_by("position"))
    assert [s.name for s in sections] == ["page_1", "page_3", "page_3_1"]  # no clash with a group
    assert sections[0].title == {}
    assert [q.name for q in sections[2].questions.all()] == ["last"]


def test_table_list_group_becomes_one_matrix_whose_items_share_the_list():
    rows = [
        [*SURVEY_HEADER, "appearance", "required"],
        ["begin_group", "trust", "Trust", "Доверие", "field-list", ""],
        ["begin_group", "trust_grid", "How much do you trust…", "Насколько вы доверяете…", "table-list", ""],
        ["select_one agree", "trust_media", "Media", "СМИ", "", "yes"],
        ["select_one agree", "trust_courts", "Courts", "Судам", "", ""],
        ["end_group", "", "", "", "", ""],
        ["end_group", "", "", "", "", ""],
    ]
    choices = [CHOICES_HEADER, ["agree", "1", "Agree", "Согласен"], ["agree", "2", "Disagree", "Не согласен"]]

    questionnaire = xlsform_import(
        survey=SurveyFactory(), file_bytes=make_xlsform(rows, choices), filename="f.xlsx"
    )

    matrix = questionnaire.questions.get(name="trust_grid")
    assert matrix.type == Question.Type.MATRIX
    assert matrix.label["ru"] == "Насколько вы доверяете…"
    assert matrix.choice_list.name == "agree"
    items = list(matrix.items.order_by("position"))
    assert [(i.name, i.type, i.required) for i in items] == [
        ("trust_media", "select_one", True),
        ("trust_courts", "select_one", False),
    ]
    assert {i.choice_list_id for i in items} == {matrix.choice_list_id}
    assert all(i.section_id == matrix.section_id for i in items)


def test_or_other_sets_has_other_and_adds_an_other_choice():
    rows = [SURVEY_HEADER, ["select_one yes_no or_other", "consent", "Agree?", "Согласны?"]]

    questionnaire = xlsform_import(
        survey=SurveyFactory(), file_bytes=make_xlsform(rows, YES_NO), filename="f.xlsx"
    )

    consent = questionnaire.questions.get(name="consent")
    assert consent.has_other is True
    other = consent.choice_list.choices.get(code="other")
    assert other.label == {"en": "Other", "ru": "Другое"}
    assert not questionnaire.questions.filter(name="consent_other").exists()


def test_randomize_parameter_rank_and_multiline_text_are_kept():
    rows = [
        [*SURVEY_HEADER, "parameters", "appearance"],
        ["select_multiple yes_no", "pick", "Pick", "Выберите", "randomize=true", ""],
        ["rank yes_no", "order", "Order", "Порядок", "", ""],
        ["text", "story", "Story", "История", "", "multiline"],
        ["decimal", "share", "Share", "Доля", "", ""],
        ["date", "when", "When", "Когда", "", ""],
    ]

    questionnaire = xlsform_import(
        survey=SurveyFactory(), file_bytes=make_xlsform(rows, YES_NO), filename="f.xlsx"
    )

    by_name = {q.name: q for q in questionnaire.questions.all()}
    assert (by_name["pick"].type, by_name["pick"].randomize) == ("select_multiple", True)
    assert (by_name["order"].type, by_name["order"].randomize) == ("ranking", False)
    assert by_name["story"].appearance == "multiline"
    assert (by_name["share"].type, by_name["when"].type) == ("decimal", "date")


def test_group_relevant_and_the_ends_survey_column_map_to_the_page():
    rows = with_column(basic_survey_rows(), "volna::ends_survey", {})
    rows[4:4] = [
        ["end_group", "about", "", "", "", "", ""],
        ["begin_group", "screened_out", "Thank you", "Спасибо", "", "${consent} = 'no'", "yes"],
        ["note", "bye", "This survey is not for you", "Этот опрос не для вас", "", "", ""],
    ]
    rows[-1][1] = "screened_out"

    questionnaire = xlsform_import(
        survey=SurveyFactory(), file_bytes=make_xlsform(rows, YES_NO), filename="f.xlsx"
    )

    about, screened_out = questionnaire.sections.order_by("position")
    assert (about.ends_survey, screened_out.ends_survey) == (False, True)
    assert screened_out.relevant == "${consent} = 'no'"


def test_columns_without_a_language_code_hold_the_survey_default_language():
    rows = [["type", "name", "label", "hint"], ["text", "city", "Город", "Например, Тбилиси"]]
    survey = SurveyFactory(languages=["ru", "en"], default_language="ru")

    questionnaire = xlsform_import(survey=survey, file_bytes=make_xlsform(rows), filename="f.xlsx")

    city = questionnaire.questions.get()
    assert city.label == {"ru": "Город"}
    assert city.hint == {"ru": "Например, Тбилиси"}


def test_settings_default_language_with_a_code_applies_to_columns_without_one():
    rows = [["type", "name", "label::English", "label::Russian (ru)"], ["text", "city", "City", "Город"]]
    settings = [["form_title", "default_language"], ["Test", "English (en)"]]
    survey = SurveyFactory(languages=["ru", "en"], default_language="ru")

    questionnaire = xlsform_import(
        survey=survey, file_bytes=make_xlsform(rows, None, settings), filename="f.xlsx"
    )

    assert questionnaire.questions.get().label == {"en": "City", "ru": "Город"}


def test_a_bare_language_code_names_the_language():
    rows = [["type", "name", "label::en", "label::ru"], ["text", "city", "City", "Город"]]

    questionnaire = xlsform_import(survey=SurveyFactory(), file_bytes=make_xlsform(rows), filename="f.xlsx")

    assert questionnaire.questions.get().label == {"en": "City", "ru": "Город"}


def test_a_survey_language_the_form_lacks_is_imported_without_it():
    survey = SurveyFactory(languages=["en", "ru", "uk"])

    questionnaire = xlsform_import(
        survey=survey, file_bytes=make_xlsform(basic_survey_rows(), YES_NO), filename="f.xlsx"
    )

    assert questionnaire.questions.get(name="age").label == {"en": "Your age", "ru": "Ваш возраст"}


def test_metadata_rows_are_skipped_as_volna_records_no_timestamps_or_devices():
    rows = [
        SURVEY_HEADER,
        ["start", "start", "", ""],
        ["deviceid", "deviceid", "", ""],
        ["text", "city", "City", "Город"],
    ]

    questionnaire = xlsform_import(survey=SurveyFactory(), file_bytes=make_xlsform(rows), filename="f.xlsx")

    assert list(questionnaire.questions.values_list("name", flat=True)) == ["city"]


# --- rejected forms ----------------------------------------------------------------------------------


def test_an_unknown_type_is_rejected_with_row_and_column():
    rows = basic_survey_rows()
    rows[3][0] = "selec_one yes_no"

    problems = rejected(SurveyFactory(), make_xlsform(rows, YES_NO))

    assert problems == ['survey sheet, row 4, column "type" (A): unknown question type "selec_one yes_no"']


def test_a_form_without_a_label_column_is_rejected():
    rows = [["type", "name"], ["text", "city"]]

    problems = rejected(SurveyFactory(), make_xlsform(rows))

    assert problems == ['survey sheet, row 1: the sheet has no label column (e.g. "label::English (en)")']


def test_a_question_without_a_label_is_rejected():
    rows = basic_survey_rows()
    rows[3][2:4] = ["", ""]

    problems = rejected(SurveyFactory(), make_xlsform(rows, YES_NO))

    assert problems == ['survey sheet, row 4, column "label::English (en)" (C): the question has no label']


def test_an_unknown_reference_is_rejected_with_row_and_column():
    rows = basic_survey_rows()
    rows[3][5] = "${consnet} = 'yes'"

    problems = rejected(SurveyFactory(), make_xlsform(rows, YES_NO))

    assert problems == [
        'survey sheet, row 4, column "relevant" (F): ${consnet} refers to no question in this form'
    ]


def test_a_reference_to_a_note_is_rejected():
    rows = [
        [*SURVEY_HEADER, "relevant"],
        ["note", "intro", "Hi", "Привет", ""],
        ["text", "x", "X", "Х", "${intro} = 1"],
    ]

    problems = rejected(SurveyFactory(), make_xlsform(rows))

    assert problems == ['survey sheet, row 3, column "relevant" (E): ${intro} is a note, which has no answer']


def test_an_expression_that_does_not_parse_names_the_character():
    rows = with_column(basic_survey_rows(), "constraint", {4: ". >= 18 and"})

    problems = rejected(SurveyFactory(), make_xlsform(rows, YES_NO))

    assert len(problems) == 1
    assert problems[0].startswith(
        'survey sheet, row 4, column "constraint" (G): the expression does not parse: '
    )
    assert "(at character " in problems[0]


def test_duplicate_names_are_rejected_with_row_and_column():
    rows = basic_survey_rows()
    rows.insert(4, ["text", "age", "Age again", "Возраст снова", "", ""])

    problems = rejected(SurveyFactory(), make_xlsform(rows, YES_NO))

    assert problems == ['survey sheet, row 5, column "name" (B): duplicate name "age" (first used in row 4)']


@pytest.mark.parametrize(
    "name",
    ["Age", "2nd", "age-group", "a" * 40],
)
def test_names_invalid_for_spss_and_stata_are_rejected(name):
    rows = basic_survey_rows()
    rows[3][1] = name

    problems = rejected(SurveyFactory(), make_xlsform(rows, YES_NO))

    assert len(problems) == 1
    assert problems[0].startswith(
        f'survey sheet, row 4, column "name" (B): "{name}" is not a valid variable name for SPSS and Stata'
    )
    if len(name) > 32:
        assert "(it has 40 characters)" in problems[0]


def test_a_name_taken_by_an_other_specify_answer_is_rejected():
    rows = [
        SURVEY_HEADER,
        ["select_one yes_no or_other", "pet", "Pet", "Питомец"],
        ["text", "pet_other", "X", "Х"],
    ]

    problems = rejected(SurveyFactory(), make_xlsform(rows, YES_NO))

    assert problems == [
        'survey sheet, row 3, column "name" (B): "pet_other" is the name of the "other, specify" answer of '
        '"pet" (row 2); rename this row'
    ]


def test_an_or_other_name_too_long_for_its_other_variable_is_rejected():
    rows = [SURVEY_HEADER, ["select_one yes_no or_other", "p" * 27, "Pet", "Питомец"]]

    problems = rejected(SurveyFactory(), make_xlsform(rows, YES_NO))

    assert len(problems) == 1
    assert problems[0].startswith(
        'survey sheet, row 2, column "name" (B): with or_other the name may have at most 26 characters'
    )


def test_duplicate_choice_codes_in_a_list_are_rejected():
    choices = [*YES_NO, ["yes_no", "yes", "Yes again", "Да снова"]]

    problems = rejected(SurveyFactory(), make_xlsform(basic_survey_rows(), choices))

    assert problems == [
        'choices sheet, row 4, column "name" (B): '
        'duplicate choice code "yes" in list "yes_no" (first in row 2)'
    ]


def test_a_select_whose_list_is_not_on_the_choices_sheet_is_rejected():
    rows = basic_survey_rows()
    rows[2][0] = "select_one yesno"

    problems = rejected(SurveyFactory(), make_xlsform(rows, YES_NO))

    assert problems == [
        'survey sheet, row 3, column "type" (A): choice list "yesno" is not on the choices sheet'
    ]


def test_a_select_without_a_list_name_is_rejected():
    rows = basic_survey_rows()
    rows[2][0] = "select_one"

    problems = rejected(SurveyFactory(), make_xlsform(rows, YES_NO))

    assert problems == [
        'survey sheet, row 3, column "type" (A): '
        '"select_one" should be "select_one <list_name>", naming a list on the choices sheet'
    ]


def test_a_language_the_survey_lacks_is_rejected_naming_the_column():
    rows = with_column(basic_survey_rows(), "label::German (de)", {3: "Einverstanden?"})

    problems = rejected(SurveyFactory(languages=["en", "ru"]), make_xlsform(rows, YES_NO))

    assert problems == [
        'survey sheet, row 1, column "label::German (de)" (G): language "de" is not one of the survey\'s '
        "languages (en, ru); add it to the survey first, or remove this column"
    ]


def test_two_language_columns_without_codes_are_rejected():
    rows = [["type", "name", "label::English", "label::Russian"], ["text", "city", "City", "Город"]]

    problems = rejected(SurveyFactory(), make_xlsform(rows))

    assert len(problems) == 1
    assert problems[0].startswith(
        'survey sheet, row 1, column "label::Russian" (D): no language code in parentheses'
    )


def test_repeats_are_rejected_as_not_supported():
    rows = [
        SURVEY_HEADER,
        ["begin_repeat", "kids", "Children", "Дети"],
        ["text", "kid", "Name", "Имя"],
        ["end_repeat", "", "", ""],
    ]

    problems = rejected(SurveyFactory(), make_xlsform(rows))

    assert problems == [
        'survey sheet, row 2, column "type" (A): repeats (begin_repeat) are not supported by Volna'
    ]


def test_groups_nested_without_table_list_are_rejected():
    rows = [
        SURVEY_HEADER,
        ["begin_group", "outer", "Outer", "Внешняя"],
        ["begin_group", "inner", "Inner", "Внутренняя"],
        ["text", "city", "City", "Город"],
        ["end_group", "", "", ""],
        ["end_group", "", "", ""],
    ]

    problems = rejected(SurveyFactory(), make_xlsform(rows))

    assert len(problems) == 1
    assert problems[0].startswith(
        'survey sheet, row 3, column "type" (A): groups inside groups are supported only as a grid'
    )


def test_a_group_left_open_is_rejected_at_its_begin_row():
    rows = basic_survey_rows()[:-1]

    problems = rejected(SurveyFactory(), make_xlsform(rows, YES_NO))

    assert problems == ['survey sheet, row 2, column "type" (A): "begin_group" has no matching end row']


def test_ends_survey_on_a_question_row_is_rejected():
    rows = with_column(basic_survey_rows(), "volna::ends_survey", {3: "yes"})

    problems = rejected(SurveyFactory(), make_xlsform(rows, YES_NO))

    assert problems == [
        'survey sheet, row 3, column "volna::ends_survey" (G): ends_survey applies only to begin_group rows'
    ]


def test_a_workbook_without_a_survey_sheet_is_rejected():
    book = Workbook()
    book.active.title = "questions"
    book.create_sheet("choices")
    buffer = io.BytesIO()
    book.save(buffer)

    problems = rejected(SurveyFactory(), buffer.getvalue())

    assert problems == ['the workbook has no "survey" sheet (it has "questions", "choices")']


@pytest.mark.parametrize(
    "question_type", ["calculate", "geopoint", "image", "select_one_from_file places.csv"]
)
def test_unsupported_question_types_are_rejected(question_type):
    rows = [SURVEY_HEADER, ["text", "city", "City", "Город"], [question_type, "extra", "Extra", "Ещё"]]

    problems = rejected(SurveyFactory(), make_xlsform(rows))

    assert len(problems) == 1
    assert problems[0].startswith('survey sheet, row 3, column "type" (A): Volna does not support ')


def test_unsupported_columns_with_content_are_rejected():
    rows = with_column(basic_survey_rows(), "choice_filter", {3: "country = 'GE'"})

    problems = rejected(SurveyFactory(), make_xlsform(rows, YES_NO))

    assert problems == [
        'survey sheet, row 3, column "choice_filter" (G): '
        "Volna does not support cascading selects (choice_filter); clear this column"
    ]


def test_every_problem_is_reported_at_once_in_sheet_order():
    rows = basic_survey_rows()
    rows[2][1] = "Consent"
    rows[3][0] = "integr"
    choices = [*YES_NO, ["yes_no", "no", "No again", "Нет снова"]]

    problems = rejected(SurveyFactory(), make_xlsform(rows, choices))

    assert [p.split(":")[0] for p in problems] == [
        'survey sheet, row 3, column "name" (B)',
        'survey sheet, row 4, column "type" (A)',
        'choices sheet, row 4, column "name" (B)',
    ]


def test_randomize_on_a_question_without_choices_is_rejected():
    rows = with_column(basic_survey_rows(), "parameters", {4: "randomize=true"})

    problems = rejected(SurveyFactory(), make_xlsform(rows, YES_NO))

    assert problems == [
        'survey sheet, row 4, column "parameters" (G): randomize applies only to select and rank questions'
    ]


def test_pyxform_errors_keep_their_text_with_sheet_row_and_column():
    # pyxform, not Volna, knows which parameters each question type accepts
    rows = with_column(basic_survey_rows(), "parameters", {3: "randomize=true colour=red"})

    problems = rejected(SurveyFactory(), make_xlsform(rows, YES_NO))

    assert len(problems) == 1
    assert problems[0].startswith(
        'survey sheet, row 3, column "parameters" (G): '
        "On the 'survey' sheet, the 'parameters' value is invalid."
    )


# --- files that are not forms ------------------------------------------------------------------------


def test_a_file_that_is_not_an_xlsx_is_rejected():
    problems = rejected(SurveyFactory(), b"type,name,label\ntext,city,City\n", filename="form.csv")

    assert problems == ["not an Excel workbook (.xlsx)"]


def test_an_old_xls_file_is_rejected_with_advice():
    problems = rejected(
        SurveyFactory(), b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500, filename="form.xls"
    )

    assert problems == ["not an Excel workbook (.xlsx) (the old .xls format: save it as .xlsx)"]


def test_a_file_over_the_size_limit_is_rejected(settings):
    file_bytes = make_xlsform(basic_survey_rows(), YES_NO)
    settings.VOLNA_XLSFORM_MAX_BYTES = len(file_bytes) - 1

    problems = rejected(SurveyFactory(), file_bytes)

    assert problems == [f"the file is {len(file_bytes):,} bytes; the limit is {len(file_bytes) - 1:,} bytes"]


def test_a_zip_bomb_is_rejected_before_it_is_unpacked(settings):
    settings.VOLNA_XLSFORM_MAX_BYTES = 100_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(40):
                member.write(b"\0" * 100_000)

    problems = rejected(SurveyFactory(), buffer.getvalue())

    assert problems == ["the workbook unpacks to far more data than a form can hold (a zip bomb?)"]


def test_a_macro_enabled_workbook_is_refused():
    buffer = io.BytesIO(make_xlsform(basic_survey_rows(), YES_NO))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\0macro")
    survey = SurveyFactory()

    assert rejected(survey, buffer.getvalue(), filename="form.xlsm") == [
        "macro-enabled workbooks are refused; save the form as .xlsx"
    ]
    assert rejected(survey, buffer.getvalue(), filename="form.xlsx") == [
        "the workbook contains macros; save the form as a plain .xlsx"
    ]


# --- the import_xlsform command ----------------------------------------------------------------------


def test_import_command_prints_the_new_version(capsys):
    survey = SurveyFactory(slug="emigrants-2022")

    call_command("import_xlsform", str(DEMO), "--survey", "emigrants-2022")

    assert (
        capsys.readouterr().out.strip()
        == "Imported emigrants-2022 version 1 (draft): 4 sections, 20 questions"
    )
    assert survey.questionnaires.get().status == Questionnaire.Status.DRAFT


def test_import_command_can_publish_right_away(capsys):
    survey = SurveyFactory(slug="emigrants-2022")

    call_command("import_xlsform", str(DEMO), "--survey", "emigrants-2022", "--publish")

    assert "version 1 (published)" in capsys.readouterr().out
    assert survey.questionnaires.get().status == Questionnaire.Status.PUBLISHED


def test_import_command_fails_listing_every_problem(tmp_path, capsys):
    SurveyFactory(slug="s1")
    rows = basic_survey_rows()
    rows[2][1] = "Consent"
    rows[3][0] = "integr"
    path = tmp_path / "broken.xlsx"
    path.write_bytes(make_xlsform(rows, YES_NO))

    with pytest.raises(CommandError, match="2 problems; nothing was imported"):
        call_command("import_xlsform", str(path), "--survey", "s1")

    err = capsys.readouterr().err
    assert 'row 3, column "name" (B)' in err
    assert 'row 4, column "type" (A)' in err
    assert Questionnaire.objects.count() == 0


def test_import_command_refuses_an_unknown_survey():
    with pytest.raises(CommandError, match='no survey "nope"'):
        call_command("import_xlsform", str(DEMO), "--survey", "nope")
