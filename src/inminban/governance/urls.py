from . import views_notices, views_petitions, views_reports, views_votes

urlpatterns = [
    *views_votes.urlpatterns,
    *views_petitions.urlpatterns,
    *views_reports.urlpatterns,
    *views_notices.urlpatterns,
]
