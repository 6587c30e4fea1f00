# Marquee web, worker and beat image. The three processes run the commands documented in
# docs/operations.md; compose.yaml wires them to PostgreSQL and Redis.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.production

WORKDIR /app
RUN useradd --create-home --uid 10001 marquee

COPY pyproject.toml README.md manage.py ./
COPY config ./config
COPY marquee ./marquee
COPY locale ./locale
RUN pip install .

# collectstatic only reads settings; this key exists for the build step alone.
RUN SECRET_KEY=collectstatic-only-build-key-0123456789abcdefghijklmnopqrstuvwxyz \
    ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput -v 0

USER marquee
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"]
