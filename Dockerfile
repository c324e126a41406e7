# Volna web, worker and beat image (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
RUN pybabel compile --domain django --directory locale \
    && SECRET_KEY=build VOLNA_TOKEN_KEY=build python manage.py collectstatic --noinput \
    && useradd --system --home /app volna && mkdir -p /app/private && chown volna /app/private
USER volna

EXPOSE 8000
CMD ["gunicorn", "--config", "config/gunicorn.py", "config.wsgi"]
