# One image for the Dagster webserver, the daemon, the code server (and ECS run workers).
# The ECS task definitions (infra/cdk/opsrunbook_cdk/compute.py) choose the command:
#   dagster code-server start -h 0.0.0.0 -p 4000 -m opsrunbook_dagster.definitions --location-name opsrunbook
#   dagster-daemon run --grpc-host code.<namespace> --grpc-port 4000
#   dagster-webserver -h 0.0.0.0 -p 3000 --grpc-host code.<namespace> --grpc-port 4000
# and DAGSTER_HOME, which picks the instance config: /opt/dagster/home (default launcher: runs are
# processes in the code-server task) or /opt/dagster/home-ecs (EcsRunLauncher).
#
# Build from the repository root: docker build -t opsrunbook:$(git rev-parse --short HEAD) .

# ---- build the wheel (no compilers or sources in the final image) -------------------------------
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
RUN python -m pip install --no-cache-dir --upgrade pip build
COPY pyproject.toml README.md ./
COPY contracts ./contracts
COPY opsrunbook_api ./opsrunbook_api
COPY opsrunbook_dagster ./opsrunbook_dagster
RUN python -m build --wheel --outdir /wheels . \
 && python -m pip wheel --no-cache-dir --wheel-dir /wheels "dagster-postgres==0.29.27"

# ---- runtime ---------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DAGSTER_HOME=/opt/dagster/home
RUN groupadd --system --gid 10001 opsrunbook \
 && useradd --system --uid 10001 --gid opsrunbook --home-dir /opt/dagster --shell /usr/sbin/nologin opsrunbook
COPY --from=build /wheels /wheels
# the project from its wheel (with its pinned Dagster), plus the Postgres storage the instance uses
RUN python -m pip install --no-cache-dir /wheels/opsrunbook-*.whl /wheels/dagster_postgres-*.whl \
 && rm -rf /wheels
# Instance configs (written by the deploy-postgres work): identical but for the run launcher.
COPY --chown=opsrunbook:opsrunbook infra/dagster.yaml.production /opt/dagster/home/dagster.yaml
COPY --chown=opsrunbook:opsrunbook infra/dagster.yaml.production-ecs /opt/dagster/home-ecs/dagster.yaml
COPY --chown=opsrunbook:opsrunbook infra/repo-map.yaml /opt/dagster/repo-map.yaml
ENV OPSRUNBOOK_REPO_MAP=/opt/dagster/repo-map.yaml
WORKDIR /opt/dagster
USER 10001:10001
EXPOSE 3000 4000
# Each service passes its own command; this default serves the code location.
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "opsrunbook_dagster.definitions", "--location-name", "opsrunbook"]
