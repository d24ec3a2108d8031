# syntax=docker/dockerfile:1
# The 5-Spot manager image: one static binary on distroless/static, non-root,
# for any TARGETOS/TARGETARCH (`make docker-build`, `make docker-buildx`).
# The kubectl plugin is not in it: it runs on workstations, not in clusters
# (docs/development.md, "Image").
ARG GO_VERSION=1.26

# The compiler runs on the build platform and cross-compiles (CGO off), so a
# multi-arch build needs no emulation.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=v0.1.99-dev
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# The same Makefile target CI runs (test/packaging), so flags cannot drift.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    make manager-static TARGETOS=${TARGETOS} TARGETARCH=${TARGETARCH} VERSION=${VERSION} MANAGER_OUT=/out/manager

FROM gcr.io/distroless/static:nonroot
LABEL org.opencontainers.image.source="https://github.com/5spot-dev/5spot" \
      org.opencontainers.image.description="5-Spot: scheduled machines for Cluster API"
COPY --from=build /out/manager /manager
# distroless's nonroot user; config/manager/manager.yaml runs as the same UID.
USER 65532:65532
ENTRYPOINT ["/manager"]
