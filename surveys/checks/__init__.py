"""Checks a questionnaire version must pass before respondents see it.

``static_problems`` works on a compiled snapshot alone and blocks publishing on errors;
``simulate`` walks random respondents through every branch in every language;
``stale_translations`` reads the editing tables. ``checks_run`` combines the three for the task.
"""

from surveys.checks.simulate import simulate
from surveys.checks.static import Problems, stale_translations, static_problems

__all__ = ["Problems", "simulate", "stale_translations", "static_problems"]
