# The web and worker image for production: the Django site, the Celery workers and the grader.
# The workers start sandbox containers through the host's Docker engine (the socket is mounted),
# so this image itself never runs learner code.
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends docker.io \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY grader ./grader
COPY reference_models ./reference_models
RUN pip install --no-cache-dir -e .
COPY . .

ENV PYTHONPATH=/app/platform:/app \
    DJANGO_SETTINGS_MODULE=config.settings \
    TENSORCRAFT_SANDBOX=docker

EXPOSE 8000
CMD ["gunicorn", "--pythonpath", "platform", "--bind", "0.0.0.0:8000", "--workers", "3", "config.wsgi"]
