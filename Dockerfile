# One image for every motcua process; the command chooses the service, e.g.
#   nameko run --config services/intake/config.yml services.intake.service:IntakeService
#   motcua relay intake        motcua migrate
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY services ./services
COPY tooling ./tooling
COPY config ./config
COPY Procfile ./
# editable: the catalogue, calendar and config files are read from /app
RUN pip install --upgrade 'setuptools<82' wheel && pip install -e . \
 && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin motcua
USER 10001
EXPOSE 8001 8002 8003 8004 8005 9101 9102 9103 9104 9105
CMD ["motcua", "--help"]
