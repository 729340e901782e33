from django.urls import path

from catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("lessons/", views.lesson_list, name="lesson_list"),
    path("lessons/<slug:slug>/", views.lesson_detail, name="lesson_detail"),
    path("questions/", views.question_list, name="question_list"),
    path("questions/<slug:slug>/", views.question_detail, name="question_detail"),
]
