"""The researchers' admin: surveys, versions and their parts, waves and check runs.

Every queryset is limited to the user's teams (``surveys.access``); another team's object is a 404.
Custom pages (import, translations, preview, checks, publish, waves) call ``surveys.services``.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from surveys.admin import accounts, checkruns, parts, questionnaire, survey, wave

__all__ = ["accounts", "checkruns", "parts", "questionnaire", "survey", "wave"]

admin.site.site_header = _("Volna administration")
admin.site.site_title = _("Volna")
admin.site.index_title = _("Surveys, versions and waves")
