#!/usr/bin/env bash
# Builds clusterctl from the Cluster API modules on the Go module proxy (no
# GitHub release download). `go install sigs.k8s.io/cluster-api/cmd/clusterctl@v`
# is refused because the root module replaces sigs.k8s.io/cluster-api/api
# locally, so a throw-away module requires both modules at the same release and
# builds the command from there.
# Idempotent: when the pinned version is already built it does nothing.
# Prints the path of the binary on its last line.
set -euo pipefail

CAPI_VERSION="${CAPI_VERSION:-v1.14.2}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${CLUSTERCTL_CACHE:-${ROOT}/.cache/clusterctl}/${CAPI_VERSION}"
BIN="${OUT}/clusterctl"
STAMP="${OUT}/.complete"

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

if [[ -f "${STAMP}" && -x "${BIN}" ]]; then
  echo "${BIN}"
  exit 0
fi

log() { echo "clusterctl-binary: $*" >&2; }
mkdir -p "${OUT}"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

start=$(date +%s)
log "building clusterctl ${CAPI_VERSION} (first build takes a few minutes)"
(
  cd "${work}"
  go mod init clusterctl.local/build >/dev/null 2>&1
  go get "sigs.k8s.io/cluster-api@${CAPI_VERSION}" "sigs.k8s.io/cluster-api/api@${CAPI_VERSION}" 2>&1 | grep -v '^go: downloading' >&2 || true
  # The replace in cluster-api's go.mod is ignored in a dependency: check that
  # the api module really is the release, not whatever MVS picked.
  grep -q "sigs.k8s.io/cluster-api/api ${CAPI_VERSION}" go.mod || { log "sigs.k8s.io/cluster-api/api is not pinned at ${CAPI_VERSION}"; exit 1; }
  minor="${CAPI_VERSION#v1.}"
  pkg="sigs.k8s.io/cluster-api/version"
  ld="-s -w -X ${pkg}.gitVersion=${CAPI_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor%%.*}"
  ld="${ld} -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
  go build -trimpath -ldflags "${ld}" -o "${BIN}.tmp" sigs.k8s.io/cluster-api/cmd/clusterctl
  mv "${BIN}.tmp" "${BIN}"
)
log "clusterctl ready after $(( $(date +%s) - start ))s"
"${BIN}" version >&2
touch "${STAMP}"
echo "${BIN}"
