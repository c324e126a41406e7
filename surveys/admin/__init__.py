"""The researchers' admin: surveys, versions and their parts, waves and check runs.

Every queryset is limited to the user's teams (``surveys.access``); another team's object is a 404.
Custom pages (import, translations, preview, checks, publish, waves) call ``surveys.services``.
"""

from surveys.admin import checkruns, parts, questionnaire, survey, wave

__all__ = ["checkruns", "parts", "questionnaire", "survey", "wave"]
