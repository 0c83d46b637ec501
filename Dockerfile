FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY mappers ./mappers
COPY fhir_profiles ./fhir_profiles
RUN pip install --disable-pip-version-check . && useradd --system --uid 10001 gateway

USER gateway
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health')"
CMD ["fhir-gateway", "serve", "--host", "0.0.0.0", "--port", "8080"]
