# syntax=docker/dockerfile:1
#
# Followup API image.
#
#   docker build -t followup .
#   docker run --rm -p 8080:8080 \
#     -e FOLLOWUP_DATABASE_URL=postgres://user:pass@host:5432/followup \
#     -e FOLLOWUP_JWT_SECRET=... followup
#
# Without FOLLOWUP_DATABASE_URL the server falls back to its SQLite default
# (sqlite://followup.db), i.e. /var/lib/followup/followup.db inside the
# container: mount a volume there if you want it to survive the container.
#
# No HEALTHCHECK: the runtime image deliberately carries neither curl nor wget,
# and the binary has no probe sub-command. Orchestrators should probe
# GET /health/live and GET /health/ready over HTTP themselves (docker compose
# puts nginx in front and retries on another replica; Kubernetes uses
# httpGet probes).

############################
# Builder
############################
# rust:1 tracks the latest stable toolchain, which satisfies the workspace's
# rust-version = "1.88".
FROM rust:1-bookworm AS builder

# libpq-dev: diesel's `postgres` backend links libpq (pq-sys) dynamically.
# SQLite is bundled (libsqlite3-sys `bundled`) and only needs the C compiler
# already present in this image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# The whole workspace: every member's manifest must be present for cargo to
# resolve the workspace, and migrations/ is embedded at compile time.
COPY Cargo.toml Cargo.lock ./
COPY crates/ crates/
COPY tests/ tests/
COPY migrations/ migrations/
COPY openapi/ openapi/

# The registry, git checkouts and target/ live in BuildKit cache mounts, so
# rebuilds after a source change only recompile the workspace crates. A cache
# mount is not part of the image layer, hence the copy of the binary out of
# it in the same RUN.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/build/target,sharing=locked \
    cargo build --release --locked -p followup-server --bin followup \
    && install -D -m 0755 target/release/followup /out/followup

############################
# Runtime
############################
FROM debian:bookworm-slim AS runtime

# libpq5: the PostgreSQL client library the binary links against.
# ca-certificates: TLS to a managed PostgreSQL (sslmode=verify-full).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# Fixed uid/gid so volume ownership is predictable across rebuilds and hosts.
RUN groupadd --gid 10001 followup \
    && useradd --uid 10001 --gid 10001 --no-log-init \
        --home-dir /var/lib/followup --no-create-home \
        --shell /usr/sbin/nologin followup \
    && install -d -o followup -g followup -m 0750 /var/lib/followup \
    && install -d -o followup -g followup -m 0750 /var/lib/followup/files

COPY --from=builder /out/followup /usr/local/bin/followup

WORKDIR /var/lib/followup
# The followup user, by number so that runtimes (Kubernetes runAsNonRoot)
# can verify it is not root without reading /etc/passwd.
USER 10001:10001

ENV FOLLOWUP_BIND=0.0.0.0:8080 \
    FOLLOWUP_LOG_FORMAT=json

EXPOSE 8080

ENTRYPOINT ["/usr/local/bin/followup"]
CMD ["serve"]
