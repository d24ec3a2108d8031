#!/usr/bin/env bash
# Builds kube-controller-manager from the Go module proxy, for the local
# management plane (test/e2e/mgmt). envtest runs only etcd and kube-apiserver,
# so nothing garbage-collects objects whose owner is gone (the bootstrap data
# Secret of a deleted KubeadmConfig, the kubeconfig Secrets of a deleted
# Cluster) and namespaces never finish terminating. The plane runs the real
# garbage-collector and namespace controllers to behave like a management
# cluster.
#
# Same recipe as hack/envtest-binaries.sh (a throw-away module that pins
# k8s.io/kubernetes and replaces its staging modules with their releases), at
# the same Kubernetes version as the API server.
# Idempotent: when the pinned version is already built it does nothing.
# Prints the folder holding the binary on its last line.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${KCM_CACHE:-${ROOT}/.cache/kube-controller-manager}"
OUT="${CACHE}/${KUBE_VERSION}"
STAMP="${OUT}/.complete"

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

if [[ -f "${STAMP}" && -x "${OUT}/kube-controller-manager" ]]; then
  echo "${OUT}"
  exit 0
fi

log() { echo "kube-controller-manager: $*" >&2; }
mkdir -p "${OUT}"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

start=$(date +%s)
(
  cd "${work}"
  go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" >k8s.json
  kdir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' k8s.json)"
  [[ -n "${kdir}" ]] || { log "cannot locate k8s.io/kubernetes@${KUBE_VERSION}"; exit 1; }
  minor="${KUBE_VERSION#v1.}"
  staging="v0.${minor}"
  {
    echo "module kcm.local/build"
    grep -E '^go [0-9]' "${kdir}/go.mod"
    awk '/^godebug \(/{p=1} p{print} p&&/^\)/{p=0} /^godebug [^(]/{print}' "${kdir}/go.mod"
    echo "require k8s.io/kubernetes ${KUBE_VERSION}"
    grep -E '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "${kdir}/go.mod" | awk -v v="${staging}" '{print "replace " $1 " => " $1 " " v}'
  } >go.mod
  go get "k8s.io/kubernetes/cmd/kube-controller-manager@${KUBE_VERSION}" 2>&1 | grep -v '^go: downloading' >&2 || true
  grep -q "k8s.io/kubernetes ${KUBE_VERSION}" go.mod || { log "k8s.io/kubernetes is not pinned at ${KUBE_VERSION}"; exit 1; }
  pkg="k8s.io/component-base/version"
  ld="-s -w -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor%%.*} -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
  log "building kube-controller-manager ${KUBE_VERSION}"
  go build -trimpath -ldflags "${ld}" -o "${OUT}/kube-controller-manager.tmp" k8s.io/kubernetes/cmd/kube-controller-manager
  mv "${OUT}/kube-controller-manager.tmp" "${OUT}/kube-controller-manager"
)
log "ready after $(( $(date +%s) - start ))s"
"${OUT}/kube-controller-manager" --version >&2
touch "${STAMP}"
echo "${OUT}"
