"""What is asked: surveys, questionnaire versions and their editing tables, waves, check runs."""

from surveys.models.questionnaire import (
    CheckRun,
    Choice,
    ChoiceList,
    FrozenQuestionnaireError,
    Question,
    Questionnaire,
    QuestionnairePart,
    Section,
)
from surveys.models.survey import (
    CODE_PATTERN,
    VARIABLE_NAME_PATTERN,
    Survey,
    choice_code_validator,
    variable_name_validator,
)
from surveys.models.wave import Wave, new_wave_slug

__all__ = [
    "CODE_PATTERN",
    "VARIABLE_NAME_PATTERN",
    "CheckRun",
    "Choice",
    "ChoiceList",
    "FrozenQuestionnaireError",
    "Question",
    "Questionnaire",
    "QuestionnairePart",
    "Section",
    "Survey",
    "Wave",
    "choice_code_validator",
    "new_wave_slug",
    "variable_name_validator",
]
