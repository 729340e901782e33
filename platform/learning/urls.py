from django.urls import path

from learning import views

app_name = "learning"

urlpatterns = [
    path("exercises/", views.exercise_list, name="exercise_list"),
    path("exercises/<slug:slug>/", views.exercise_detail, name="exercise_detail"),
    path("exercises/<slug:slug>/starter.ipynb", views.exercise_starter_notebook, name="exercise_starter_notebook"),
    path("exercises/<slug:slug>/submit/", views.submission_submit, name="submission_submit"),
    path("exercises/<slug:slug>/upload/", views.submission_upload, name="submission_upload"),
    path("exercises/<slug:slug>/run-visible-checks/", views.submission_run_visible, name="submission_run_visible"),
    path("submissions/<int:submission_id>/", views.submission_detail, name="submission_detail"),
    path("submissions/<int:submission_id>/status/", views.submission_status, name="submission_status"),
]

urlpatterns += [
    path("practice/", views.practice_list, name="practice_list"),
    path("practice/<slug:slug>/", views.practice_question, name="practice_question"),
    path("practice/<slug:slug>/review/", views.question_review, name="question_review"),
]

urlpatterns += [path("dashboard/", views.dashboard, name="dashboard")]

urlpatterns += [path("exercises/<slug:slug>/compare/", views.submission_compare, name="submission_compare")]
