"""URL configuration of the notebook project."""

from django.urls import include, path
from django.views.generic.base import RedirectView

from notes import views

urlpatterns = [
    path("", RedirectView.as_view(url="/notes/", permanent=False)),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("notes.account_urls")),
    path("notes/", include("notes.urls")),
    path("staff/", views.staff_directory, name="staff"),
]
