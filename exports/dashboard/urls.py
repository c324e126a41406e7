"""The dashboard's URLs, mounted under the wave's admin page (config/urls.py):
``/admin/surveys/wave/<id>/dashboard/``. Each view is wrapped by the admin site (staff only, login
redirect, never cached); the views themselves scope the wave to the user's teams.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from exports.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", admin.site.admin_view(views.dashboard_view), name="wave"),
    path("refresh/", admin.site.admin_view(views.refresh_view), name="refresh"),
    path("progress/<uuid:snapshot_id>/", admin.site.admin_view(views.progress_view), name="progress"),
    path("csv/", admin.site.admin_view(views.csv_view), name="csv"),
]
