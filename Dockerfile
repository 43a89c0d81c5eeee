# Build stage: compile wheels where build tools exist; the final image has none.
FROM python:3.11-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY casefiles ./casefiles
COPY config ./config
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production \
    CASEFILES_VAR_DIR=/var/lib/casefiles STATIC_ROOT=/app/static
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin casefiles \
    && mkdir -p /var/lib/casefiles /app/static && chown casefiles /var/lib/casefiles
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
WORKDIR /app
COPY manage.py ./
COPY seeds ./seeds
# collectstatic needs settings but no secrets or database.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
USER casefiles
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-"]
