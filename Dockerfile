# One image for every motcua process; the command chooses the service, e.g.
#   nameko run --config services/intake/config.yml services.intake.service:IntakeService
#   motcua relay intake        motcua migrate
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# docstore: OCRmyPDF with Tesseract's Vietnamese model (PDF/A), poppler (page counts,
# thumbnails); clamd and freshclam for the virus scanner's own Deployment (deploy/k8s)
RUN apt-get update && apt-get install -y --no-install-recommends ocrmypdf tesseract-ocr-vie \
      poppler-utils clamav-daemon clamav-freshclam && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY services ./services
COPY tooling ./tooling
COPY config ./config
COPY Procfile ./
# editable: the catalogue, calendar and config files are read from /app
RUN pip install --upgrade 'setuptools<82' wheel && pip install -e . \
 && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin motcua \
 && mkdir -p /app/var && chown 10001 /app/var
USER 10001
EXPOSE 8001 8002 8003 8004 8005 8008 9101 9102 9103 9104 9105 9108 9118
CMD ["motcua", "--help"]
