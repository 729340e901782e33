from django.urls import path

from learning import views

app_name = "learning"

urlpatterns = [
    path("exercises/", views.exercise_list, name="exercise_list"),
    path("exercises/<slug:slug>/", views.exercise_detail, name="exercise_detail"),
    path("exercises/<slug:slug>/starter.ipynb", views.exercise_starter_notebook, name="exercise_starter_notebook"),
    path("exercises/<slug:slug>/submit/", views.submission_submit, name="submission_submit"),
    path("exercises/<slug:slug>/upload/", views.submission_upload, name="submission_upload"),
    path("submissions/<int:submission_id>/", views.submission_detail, name="submission_detail"),
    path("submissions/<int:submission_id>/status/", views.submission_status, name="submission_status"),
]
