from django.contrib import admin
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # before the admin: its wave pages would take ".../<id>/dashboard/" for an object ID
    path("admin/surveys/wave/<int:wave_id>/dashboard/", include("exports.dashboard.urls")),
    path("admin/", admin.site.urls),
    path("", include("respondents.urls")),
    path("", include("surveys.urls")),
]
