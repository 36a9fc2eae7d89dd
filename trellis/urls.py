from django.contrib import admin
from django.urls import include, path

from trellis.api.router import api

handler500 = "trellis.core.failures.server_error"

urlpatterns = [
    path("", include("trellis.communities.urls")),
    path("", include("trellis.people.urls")),
    path("", include("trellis.accounts.urls")),
    path("", include("trellis.qa.urls")),
    path("", include("trellis.library.urls")),
    path("", include("trellis.notifications.urls")),
    path("", include("trellis.imports.urls")),
    path("", include("trellis.search.urls")),
    path("", include("trellis.expertise.urls")),
    path("", include("trellis.mentoring.urls")),
    path("django-admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
