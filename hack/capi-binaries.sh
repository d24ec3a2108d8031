#!/usr/bin/env bash
# Builds the Cluster API manager binaries the local management plane runs
# (test/e2e/mgmt): the core manager, the kubeadm bootstrap and control plane
# providers, and CAPD (whose in-memory backend simulates machines and workload
# API servers). Everything comes from the Go module proxy: no release
# downloads, no images, no Docker.
#
# `go install ...@v1.14.2` is refused (the CAPI modules carry replace
# directives), so a throw-away module requires the three CAPI modules at the
# same version and builds their main packages; with nothing else in it, module
# resolution picks exactly the versions upstream released with.
#
# Idempotent: when the pinned version is already built it does nothing.
# Prints the folder holding the binaries on its last line.
set -euo pipefail

CAPI_VERSION="${CAPI_VERSION:-v1.14.2}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CAPI_CACHE:-${ROOT}/.cache/capi}"
OUT="${CACHE}/${CAPI_VERSION}"
STAMP="${OUT}/.complete"

# binary name -> main package
BINARIES=(
  "capi-manager=sigs.k8s.io/cluster-api/core"
  "kubeadm-bootstrap-manager=sigs.k8s.io/cluster-api/bootstrap/kubeadm"
  "kubeadm-control-plane-manager=sigs.k8s.io/cluster-api/controlplane/kubeadm"
  "capd-manager=sigs.k8s.io/cluster-api/test/infrastructure/docker"
)

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

all_built() {
  local entry
  for entry in "${BINARIES[@]}"; do
    [[ -x "${OUT}/${entry%%=*}" ]] || return 1
  done
}

if [[ -f "${STAMP}" ]] && all_built; then
  echo "${OUT}"
  exit 0
fi

log() { echo "capi-binaries: $*" >&2; }
mkdir -p "${OUT}"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

start=$(date +%s)
(
  cd "${work}"
  go mod init capi.local/binaries >/dev/null 2>&1
  # The api module is pinned explicitly: the root module only replaces it
  # locally, and its placeholder requirement is not served by the proxy.
  go get "sigs.k8s.io/cluster-api@${CAPI_VERSION}" \
    "sigs.k8s.io/cluster-api/api@${CAPI_VERSION}" \
    "sigs.k8s.io/cluster-api/test@${CAPI_VERSION}" 2>&1 | grep -v '^go: downloading' >&2 || true
  for m in sigs.k8s.io/cluster-api sigs.k8s.io/cluster-api/api sigs.k8s.io/cluster-api/test; do
    grep -qE "^\s*(require )?${m} ${CAPI_VERSION}( |\$)" go.mod || { log "${m} is not pinned at ${CAPI_VERSION}"; exit 1; }
  done
  ld="-s -w -X sigs.k8s.io/cluster-api/version.gitVersion=${CAPI_VERSION} -X sigs.k8s.io/cluster-api/version.gitTreeState=clean"
  for entry in "${BINARIES[@]}"; do
    name="${entry%%=*}" pkg="${entry#*=}"
    [[ -x "${OUT}/${name}" ]] && continue
    log "building ${name} (${pkg}@${CAPI_VERSION})"
    go build -trimpath -ldflags "${ld}" -o "${OUT}/${name}.tmp" "${pkg}"
    mv "${OUT}/${name}.tmp" "${OUT}/${name}"
  done
)
log "Cluster API ${CAPI_VERSION} binaries ready after $(( $(date +%s) - start ))s"
touch "${STAMP}"
echo "${OUT}"
