"""factory_boy factories for the whole suite."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group, User

from surveys.models import Choice, ChoiceList, Question, Questionnaire, Section, Survey, Wave


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"team-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"researcher{n}")
    password = factory.django.Password("correct horse battery staple")
    is_staff = True


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    slug = factory.Sequence(lambda n: f"survey-{n}")
    title = factory.LazyAttribute(lambda s: {"en": f"Survey {s.slug}", "ru": f"Опрос {s.slug}"})
    languages = factory.LazyFunction(lambda: ["en", "ru"])
    default_language = "en"
    team = factory.SubFactory(GroupFactory)


class QuestionnaireFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Questionnaire

    survey = factory.SubFactory(SurveyFactory)
    number = factory.Sequence(lambda n: n + 1)


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    questionnaire = factory.SubFactory(QuestionnaireFactory)
    name = factory.Sequence(lambda n: f"section_{n}")
    position = factory.Sequence(lambda n: n)
    title = factory.LazyFunction(lambda: {"en": "Page", "ru": "Страница"})


class ChoiceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChoiceList

    questionnaire = factory.SubFactory(QuestionnaireFactory)
    name = factory.Sequence(lambda n: f"list_{n}")


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice

    choice_list = factory.SubFactory(ChoiceListFactory)
    code = factory.Sequence(lambda n: f"c{n}")
    position = factory.Sequence(lambda n: n)
    label = factory.LazyAttribute(lambda c: {"en": f"Choice {c.code}", "ru": f"Вариант {c.code}"})


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    section = factory.SubFactory(SectionFactory)
    questionnaire = factory.LazyAttribute(lambda q: q.section.questionnaire)
    name = factory.Sequence(lambda n: f"q{n}")
    position = factory.Sequence(lambda n: n)
    type = Question.Type.TEXT
    label = factory.LazyAttribute(lambda q: {"en": f"Question {q.name}", "ru": f"Вопрос {q.name}"})


class WaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wave

    questionnaire = factory.SubFactory(QuestionnaireFactory)
    survey = factory.LazyAttribute(lambda w: w.questionnaire.survey)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Wave {n + 1}")
