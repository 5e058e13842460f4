FROM python:3.11-slim-bookworm
# CJK fonts: Chinese text rendered on the server (reports, chart images) needs them.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk fonts-noto-color-emoji gettext \
    && rm -rf /var/lib/apt/lists/*
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . \
    && python manage.py compile_catalogs \
    && KPIBOARD_ENV=production SECRET_KEY=build-only-not-secret-build-only-not-secret-123456 \
       DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 ALLOWED_HOSTS=build \
       STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput
ENV STATIC_ROOT=/app/staticfiles
EXPOSE 8000
CMD ["gunicorn", "kpiboard.wsgi:application", "--bind", "0.0.0.0:8000"]
