# Gravewatch API: python:3.11-slim, non-root, a model trained at build time.
# Build: docker build -t gravewatch .   Run: docker run -p 8000:8000 gravewatch
# Every GRAVEWATCH_* setting can be passed with -e; mount a volume on /app/models to keep
# retrained models (an empty volume gets a model trained on first start).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GRAVEWATCH_HOST=0.0.0.0 \
    GRAVEWATCH_PORT=8000 \
    GRAVEWATCH_WORKERS=2 \
    GRAVEWATCH_MODELS_DIR=/app/models \
    GRAVEWATCH_DATA_DIR=/app/data \
    GRAVEWATCH_REPORTS_DIR=/app/data/reports

RUN groupadd --gid 10001 gravewatch \
    && useradd --create-home --uid 10001 --gid 10001 gravewatch
WORKDIR /app
# A plain (not editable) install: the taxonomy, corpus, review page and migrations are package
# data, so the sources are not kept in the image.
COPY pyproject.toml README.md /tmp/gravewatch/
COPY training /tmp/gravewatch/training
COPY service /tmp/gravewatch/service
COPY labels /tmp/gravewatch/labels
RUN pip install --no-cache-dir /tmp/gravewatch \
    && rm -rf /tmp/gravewatch \
    && mkdir -p /app/models /app/data \
    && chown -R gravewatch:gravewatch /app/models /app/data

USER 10001:10001
RUN gravewatch train

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=600s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('GRAVEWATCH_PORT', '8000') + '/readyz', timeout=4)"]
CMD ["gravewatch", "serve", "--train-if-missing", "--upgrade-db"]
