# syntax=docker/dockerfile:1
#
# task-mcp as a container: a release build with the Swift runtime linked in, on a slim Debian.
#   docker build -t task-mcp .
#   docker run --env-file .env -p 8080:8080 -v task-mcp-data:/app/data task-mcp
# or use docker-compose.yml. Configuration is environment variables (see env.example).

# ---- Build ----------------------------------------------------------------------------------
FROM swift:6.3-bookworm AS build

# GRDB links the system SQLite.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Dependencies first: this layer is rebuilt only when the manifest or the pins change.
# (Package.* matches Package.swift, and Package.resolved when the checkout has one.)
COPY Package.* ./
RUN swift package resolve

# Then the sources (everything the manifest names; .dockerignore keeps build output out).
COPY . .

RUN swift build -c release --static-swift-stdlib --product task-mcp

# Stage the binary with the SwiftPM resource bundles that must sit next to it: each store's
# `migrations` folder is read at start from task-mcp_SQLiteStorage.resources or
# task-mcp_PostgresStorage.resources.
RUN bin="$(swift build -c release --show-bin-path)" \
    && mkdir -p /staging \
    && cp "$bin/task-mcp" /staging/ \
    && find "$bin" -maxdepth 1 -name '*.resources' -exec cp -R {} /staging/ \; \
    && ls -d /staging/task-mcp_SQLiteStorage.resources/migrations /staging/task-mcp_PostgresStorage.resources/migrations

# ---- Run ------------------------------------------------------------------------------------
FROM debian:bookworm-slim

# ca-certificates: TLS to Parallel. libsqlite3-0: the database. tzdata: time zones.
# The Swift runtime and Foundation are linked into the binary (--static-swift-stdlib); the
# project does not use FoundationNetworking, so libcurl is not needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libsqlite3-0 tzdata \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 task-mcp \
    && useradd --system --uid 10001 --gid task-mcp --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin task-mcp

WORKDIR /app
COPY --from=build /staging/ /app/
# The database lives in /app/data; a named volume mounted there starts with this ownership.
RUN mkdir -p /app/data && chown task-mcp:task-mcp /app/data
VOLUME /app/data

# Numeric, so that the runtime can tell it is not root without reading /etc/passwd.
USER 10001:10001

# Bind all interfaces inside the container (serve then requires TASK_MCP_PUBLIC_URL) and keep
# the database on the volume.
ENV TASK_MCP_HOST=0.0.0.0 \
    TASK_MCP_PORT=8080 \
    TASK_MCP_DATABASE=/app/data/task-mcp.sqlite

EXPOSE 8080

# Readiness without curl: bash (present in the base image) opens a TCP connection through its
# /dev/tcp redirection, sends GET /readyz and succeeds only on a 200 status line.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${TASK_MCP_PORT:-8080} && printf 'GET /readyz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r status <&3 && [[ $status == *' 200 '* ]]"]

# SIGTERM (docker stop) starts a graceful shutdown: in-flight requests get
# TASK_MCP_SHUTDOWN_GRACE seconds (30 by default); give `docker stop -t` a little more.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/task-mcp"]
CMD ["serve"]
