"""Users and groups in the admin: a 404 for anyone who may not see them, existing or not.

Django's own pages answer 403 for an existing user or group and redirect for a missing one, so a
researcher without the ``auth`` permissions could count the accounts by trying IDs. Here both are a
404, like another team's objects (``surveys.access``); superusers keep Django's pages unchanged.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import Model
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _


class NotFoundUnlessPermittedMixin:
    """``get_object`` raises 404 before any permission check when the object cannot be shown."""

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Model:
        if not self.has_view_or_change_permission(request):  # type: ignore[attr-defined]
            raise Http404(_("Not found."))
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is None:
            raise Http404(_("Not found."))
        return obj


class VolnaUserAdmin(NotFoundUnlessPermittedMixin, UserAdmin):
    pass


class VolnaGroupAdmin(NotFoundUnlessPermittedMixin, GroupAdmin):
    pass


for model, model_admin in ((User, VolnaUserAdmin), (Group, VolnaGroupAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
