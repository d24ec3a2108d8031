#!/usr/bin/env bash
# Builds the binaries controller-runtime's envtest needs (etcd, kube-apiserver,
# kubectl) from the Go module proxy alone: no release downloads, no Docker.
# Idempotent: when the pinned versions are already built it does nothing.
# Prints the folder to use as KUBEBUILDER_ASSETS on its last line.
set -euo pipefail

ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
KUBE_VERSION="${KUBE_VERSION:-v1.36.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${ENVTEST_CACHE:-${ROOT}/.cache/envtest}"
OUT="${CACHE}/k8s-${KUBE_VERSION}-etcd-${ETCD_VERSION}"
STAMP="${OUT}/.complete"

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

if [[ -f "${STAMP}" && -x "${OUT}/etcd" && -x "${OUT}/kube-apiserver" && -x "${OUT}/kubectl" ]]; then
  echo "${OUT}"
  exit 0
fi

log() { echo "envtest-binaries: $*" >&2; }
mkdir -p "${OUT}"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

build_etcd() {
  local d="${work}/etcd"
  mkdir -p "${d}"
  (
    cd "${d}"
    go mod init envtest.local/etcd >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" >/dev/null 2>&1
    go build -trimpath -ldflags "-s -w" -o "${OUT}/etcd.tmp" go.etcd.io/etcd/server/v3
    mv "${OUT}/etcd.tmp" "${OUT}/etcd"
  )
}

build_kube() {
  local d="${work}/kube"
  mkdir -p "${d}"
  local minor="${KUBE_VERSION#v1.}"
  local staging="v0.${minor}"
  (
    cd "${d}"
    go mod init envtest.local/kube >/dev/null 2>&1
    go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" >"${d}/k8s.json"
    local kdir
    kdir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' "${d}/k8s.json")"
    [[ -n "${kdir}" ]] || { log "cannot locate k8s.io/kubernetes@${KUBE_VERSION}"; exit 1; }
    # Upstream's go and godebug lines, then a require on kubernetes itself and
    # every staging module (listed at v0.0.0 upstream) pinned to the release.
    {
      echo "module envtest.local/kube"
      grep -E '^go [0-9]' "${kdir}/go.mod"
      awk '/^godebug \(/{p=1} p{print} p&&/^\)/{p=0} /^godebug [^(]/{print}' "${kdir}/go.mod"
      echo "require k8s.io/kubernetes ${KUBE_VERSION}"
      grep -E '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "${kdir}/go.mod" | awk -v v="${staging}" '{print "replace " $1 " => " $1 " " v}'
    } >go.mod
    # Resolve the rest of the graph for the two commands (tidy would drop the
    # require on kubernetes, which no package of this module imports).
    go get "k8s.io/kubernetes/cmd/kube-apiserver@${KUBE_VERSION}" "k8s.io/kubernetes/cmd/kubectl@${KUBE_VERSION}" 2>&1 | grep -v '^go: downloading' >&2 || true
    grep -q "k8s.io/kubernetes ${KUBE_VERSION}" go.mod || { log "k8s.io/kubernetes is not pinned at ${KUBE_VERSION}"; exit 1; }
    local pkg="k8s.io/component-base/version"
    local ld="-s -w -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor%%.*} -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
    ld="${ld} -X k8s.io/client-go/pkg/version.gitVersion=${KUBE_VERSION}"
    go build -trimpath -ldflags "${ld}" -o "${OUT}/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
    go build -trimpath -ldflags "${ld}" -o "${OUT}/kubectl.tmp" k8s.io/kubernetes/cmd/kubectl
    mv "${OUT}/kube-apiserver.tmp" "${OUT}/kube-apiserver"
    mv "${OUT}/kubectl.tmp" "${OUT}/kubectl"
  )
}

start=$(date +%s)
if [[ ! -x "${OUT}/etcd" ]]; then
  log "building etcd ${ETCD_VERSION}"
  build_etcd
fi
log "etcd ready after $(( $(date +%s) - start ))s"
if [[ ! -x "${OUT}/kube-apiserver" || ! -x "${OUT}/kubectl" ]]; then
  log "building kube-apiserver and kubectl ${KUBE_VERSION}"
  build_kube
fi
log "kube-apiserver and kubectl ready after $(( $(date +%s) - start ))s"
"${OUT}/kube-apiserver" --version >&2
touch "${STAMP}"
echo "${OUT}"
