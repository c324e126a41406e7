from django.urls import path

from respondents import resume_views, views

app_name = "respondents"

urlpatterns = [
    path("s/<str:slug>/", views.welcome, name="welcome"),
    path("s/<str:slug>/page/", views.page, name="page"),
    path("s/<str:slug>/thanks/", views.thanks, name="thanks"),
    path("s/<str:slug>/resume/", resume_views.resume, name="resume"),
    path("s/<str:slug>/code/", resume_views.resume_code, name="code"),
    path("i/<str:token>/", resume_views.invitation, name="invitation"),
]
