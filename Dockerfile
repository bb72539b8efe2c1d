# The takehome service image: runs `takehome serve` (api) or `takehome worker` (Celery worker).
#
# Built without a registry, with Python packages from a host-side wheelhouse: use
# scripts/build-service-image.sh, which finds or builds the base (takehome-service-base:<hash>, a
# debootstrap'ed Debian with python3, python3-venv, git and ca-certificates; the sandbox base has
# no git) and fills ./wheelhouse. Another base (BASE_IMAGE=...) must have python3 with its venv
# module, git (Git intake clones with it) and ca-certificates (https remotes).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

COPY wheelhouse /tmp/wheels
RUN git --version \
 && python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links /tmp/wheels takehome \
 && rm -rf /tmp/wheels \
 && useradd --system --uid 10001 --home-dir /var/lib/takehome --create-home takehome
COPY challenges /opt/takehome/challenges

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TAKEHOME_CHALLENGE_DIRS=/opt/takehome/challenges \
    TAKEHOME_DATA_DIR=/var/lib/takehome \
    TAKEHOME_CACHE_DIR=/var/lib/takehome/cache \
    TAKEHOME_HOST=0.0.0.0 \
    TAKEHOME_LOG_FORMAT=json
WORKDIR /var/lib/takehome
# The api runs unprivileged. A worker needs the host's Docker socket: compose runs it with the
# socket's group (or as root), see "Security of the worker" in docs/deployment.md.
USER takehome
EXPOSE 8000
ENTRYPOINT ["takehome"]
CMD ["serve"]
