#!/usr/bin/env bash
# Run the whole site on this machine: SQLite and a file-system Celery broker
# under var/ (unless TENSORCRAFT_DATABASE_URL and TENSORCRAFT_BROKER_URL set
# others), one grading worker and Django's development server.
#
#   scripts/run.sh            then open http://127.0.0.1:8000/
#
# TENSORCRAFT_PORT sets the port (default 8000) and TENSORCRAFT_WORKER_CONCURRENCY
# the number of gradings that run at once (default 2). Ctrl-C stops the
# server and the worker.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root=$(pwd)
host=127.0.0.1
port=${TENSORCRAFT_PORT:-8000}
concurrency=${TENSORCRAFT_WORKER_CONCURRENCY:-2}
python=.venv/bin/python

if [[ -x scripts/setup.sh ]]; then
    scripts/setup.sh
else
    echo "scripts/setup.sh is missing; using the existing .venv" >&2
fi
if [[ ! -x $python ]]; then
    echo "error: $python not found; run scripts/setup.sh to create the virtual environment" >&2
    exit 1
fi

export PYTHONPATH="$repo_root/platform:$repo_root${PYTHONPATH:+:$PYTHONPATH}"
export DJANGO_SETTINGS_MODULE=config.settings

"$python" manage.py migrate --noinput
"$python" manage.py load_exercises
if ! "$python" manage.py load_content; then
    echo "warning: the content files listed above were rejected; the site starts without their changes" >&2
fi

# NOTE: on the file-system broker, Celery's prefork pool does not recover when
# one of its processes is killed (by the kernel's out-of-memory killer, say):
# gradings then wait forever, so restart this script. Redis has no such problem.
"$python" -m celery -A config worker -Q cpu,gpu --pool prefork --concurrency "$concurrency" --loglevel INFO &
worker_pid=$!

stop_worker() {
    if kill -0 "$worker_pid" 2>/dev/null; then
        echo "stopping the grading worker (pid $worker_pid)" >&2
        kill -TERM "$worker_pid" 2>/dev/null || true
        wait "$worker_pid" 2>/dev/null || true
    fi
}
trap stop_worker EXIT

echo
echo "Tensorcraft is starting: open http://$host:$port/ in your browser. Press Ctrl-C to stop."
echo
# --insecure serves the static files (CSS, JavaScript, the ACE editor) with DEBUG off.
"$python" manage.py runserver --noreload --insecure "$host:$port"
