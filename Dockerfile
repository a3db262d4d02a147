# One image for web, worker and scheduler: the command picks the role.
#   docker run IMAGE web | worker | scheduler
# Production uses real MongoDB (replica set) and Redis: the embedded extra is not installed.

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# The exact versions of requirements/production.txt, each file checked against its hash;
# then the project itself, built with the setuptools that lock holds.
COPY requirements/production.txt ./requirements/production.txt
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --upgrade pip \
 && /opt/venv/bin/pip install --require-hashes -r requirements/production.txt
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY workers ./workers
COPY reports ./reports
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation .

FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8080 \
    METRICS_PORT=9100 \
    DATA_DIR=/var/lib/digitaly \
    DIGITALY_CONFIG=/app/config.yaml
RUN groupadd --system digitaly \
 && useradd --system --gid digitaly --home-dir /app --shell /usr/sbin/nologin digitaly \
 && mkdir -p /var/lib/digitaly && chown digitaly:digitaly /var/lib/digitaly
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=digitaly:digitaly config.yaml ./config.yaml
COPY --chown=digitaly:digitaly flows ./flows
USER digitaly
EXPOSE 8080 9100
# Every role (web, worker, scheduler) answers /healthz, /readyz and /metrics on
# METRICS_PORT, so one probe fits them all. /healthz only says the process
# answers; orchestrators use /readyz for traffic.
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"METRICS_PORT\"]}/healthz', timeout=2)"]
# SIGTERM drains; give workers time to finish their tasks before SIGKILL.
STOPSIGNAL SIGTERM
ENTRYPOINT ["digitaly"]
CMD ["web"]
