#!/usr/bin/env bash
# Writes the clusterctl release artifacts of 5-Spot (an AddonProvider):
#   OUT/addon-components.yaml  config/default with the manager image pinned
#   OUT/metadata.yaml          release series -> CAPI contract
#   OUT/extensionconfig.yaml   the Runtime SDK registration, applied after init
# Usage: hack/release-manifests.sh OUT VERSION [IMAGE_REPOSITORY]
# A GitHub release carrying these two files is a clusterctl repository; so is
# a folder {base}/addon-5spot/VERSION/ holding them (docs/development.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:?usage: $0 OUT VERSION [IMAGE_REPOSITORY]}"
VERSION="${2:?usage: $0 OUT VERSION [IMAGE_REPOSITORY]}"
IMAGE_REPOSITORY="${3:-ghcr.io/5spot-dev/5spot-manager}"
# The repository name the kustomize tree (and tilt-provider.yaml) uses.
DEFAULT_IMAGE="ghcr.io/5spot-dev/5spot-manager"

die() { echo "release-manifests: $*" >&2; exit 1; }

# clusterctl reads the version as semver and looks its major.minor up in
# metadata.yaml: fail here rather than at `clusterctl init`.
[[ "${VERSION}" =~ ^v([0-9]+)\.([0-9]+)\.([0-9]+)(-[0-9A-Za-z.-]+)?$ ]] ||
  die "VERSION ${VERSION} is not a semantic version like v0.1.0"
major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}"
awk -v M="${major}" -v m="${minor}" '
  $1 == "-" && $2 == "major:" { cur = $3; next }
  $1 == "major:" { cur = $2; next }
  $1 == "minor:" && cur == M && $2 == m { found = 1 }
  END { exit !found }' "${ROOT}/metadata.yaml" ||
  die "metadata.yaml has no releaseSeries entry for ${major}.${minor}: add one before releasing ${VERSION}"

mkdir -p "${OUT}" "${ROOT}/.cache"
OUT="$(cd "${OUT}" && pwd)"
# kustomize only accepts relative paths to other kustomizations, so the
# overlay lives at a fixed depth in the (git-ignored) cache folder.
work="$(mktemp -d "${ROOT}/.cache/release-manifests.XXXXXX")"
trap 'rm -rf "${work}"' EXIT

cat >"${work}/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../config/default
images:
- name: ${DEFAULT_IMAGE}
  newName: ${IMAGE_REPOSITORY}
  newTag: ${VERSION}
YAML

cd "${ROOT}"
GOTOOLCHAIN=local GOFLAGS=-mod=mod go tool -modfile=hack/tools/go.mod kustomize build "${work}" >"${work}/addon-components.yaml"
mv "${work}/addon-components.yaml" "${OUT}/addon-components.yaml"
cp "${ROOT}/metadata.yaml" "${OUT}/metadata.yaml"
cp "${ROOT}/config/extension/extensionconfig.yaml" "${OUT}/extensionconfig.yaml"
echo "release-manifests: wrote ${OUT}/addon-components.yaml, ${OUT}/metadata.yaml and ${OUT}/extensionconfig.yaml (${IMAGE_REPOSITORY}:${VERSION})" >&2
