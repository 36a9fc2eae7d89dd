from django.contrib import admin
from django.urls import include, path

from trellis.api.router import api

handler500 = "trellis.core.failures.server_error"

urlpatterns = [
    path("", include("trellis.web.communities.urls")),
    path("", include("trellis.web.people.urls")),
    path("", include("trellis.web.accounts.urls")),
    path("", include("trellis.web.qa.urls")),
    path("", include("trellis.web.library.urls")),
    path("", include("trellis.web.notifications.urls")),
    path("", include("trellis.web.imports.urls")),
    path("", include("trellis.web.search.urls")),
    path("", include("trellis.web.expertise.urls")),
    path("", include("trellis.web.mentoring.urls")),
    path("", include("trellis.web.events.urls")),
    path("", include("trellis.web.agendas.urls")),
    path("", include("trellis.web.facilitation.urls")),
    path("", include("trellis.web.stories.urls")),
    path("", include("trellis.web.reports.urls")),
    path("", include("trellis.web.insights.urls")),
    path("", include("trellis.web.radar.urls")),
    path("django-admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
