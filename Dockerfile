# Marquee's image: the web server by default; compose.yaml runs the one-shot init (migrations,
# the first admin), the Celery worker and beat from it too, each with its own health check
# (docs/operations.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.production \
    PORT=8000 \
    MEDIA_ROOT=/app/media \
    STATE_DIR=/app/var

WORKDIR /app
# Pango (and a font) for WeasyPrint: the box office's printed tickets.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 marquee

COPY pyproject.toml README.md manage.py ./
COPY config ./config
COPY marquee ./marquee
COPY locale ./locale
RUN pip install .

# collectstatic only reads settings; this key exists for the build step alone.
RUN SECRET_KEY=collectstatic-only-build-key-0123456789abcdefghijklmnopqrstuvwxyz \
    ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput -v 0

# Uploaded posters (MEDIA_STORAGE=filesystem; compose.yaml mounts a volume here) and beat's
# schedule (STATE_DIR), writable by the user the processes run as.
RUN mkdir -p /app/media /app/var && chown marquee:marquee /app/media /app/var

USER marquee
EXPOSE 8000
# The web server's: /healthz answers whatever the Host (marquee/common/middleware.py), so the
# container's own address works with the ALLOWED_HOSTS production sets.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=2)"]
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"]
