from django.http import Http404
from django.shortcuts import render

from catalogue import selectors


def lesson_list(request):
    groups = selectors.group_by_topic(selectors.lesson_list())
    return render(request, "catalogue/lesson_list.html", {"groups": groups})


def lesson_detail(request, slug: str):
    lesson = selectors.lesson_get(slug=slug)
    if lesson is None:
        raise Http404("No lesson with this name.")
    exercises = selectors.exercise_list_for_slugs(lesson.exercise_slugs)
    return render(request, "catalogue/lesson_detail.html", {"lesson": lesson, "exercises": exercises})


def question_list(request):
    groups = selectors.group_by_topic(selectors.question_list())
    return render(request, "catalogue/question_list.html", {"groups": groups})


def question_detail(request, slug: str):
    question = selectors.question_get(slug=slug)
    if question is None:
        raise Http404("No question with this name.")
    return render(request, "catalogue/question_detail.html", {"question": question})
