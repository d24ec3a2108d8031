# 5-Spot developer tasks. Everything it needs is built from the Go module proxy.
SHELL := /usr/bin/env bash -o pipefail
export GOTOOLCHAIN := local
export GOFLAGS := -mod=mod

TOOLS := go tool -modfile=hack/tools/go.mod
CONTROLLER_GEN := $(TOOLS) controller-gen
KUSTOMIZE := $(TOOLS) kustomize

.PHONY: all
all: generate build

##@ Development

.PHONY: generate
generate: ## Generate deepcopy, CRDs, RBAC and webhook manifests.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=config/crd/bases
	$(CONTROLLER_GEN) rbac:roleName=manager-role webhook paths=./... \
		output:rbac:artifacts:config=config/rbac output:webhook:artifacts:config=config/webhook

.PHONY: fmt
fmt:
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet:
	go vet ./...

.PHONY: build
build: ## Build the manager and the kubectl plugin into bin/.
	go build -o bin/manager ./cmd/manager
	go build -o bin/kubectl-5spot ./cmd/kubectl-5spot

.PHONY: envtest
envtest: ## Build etcd, kube-apiserver and kubectl for envtest (cached in .cache/).
	@hack/envtest-binaries.sh

.PHONY: test
test: ## Run every test: unit and integration (real kube-apiserver + etcd), then end to end (real CAPI controllers).
	@assets="$$(hack/envtest-binaries.sh | tail -n1)" && \
	KUBEBUILDER_ASSETS="$$assets" go test ./... -count=1 -timeout 20m
	@$(MAKE) --no-print-directory test-e2e

.PHONY: verify
verify: generate ## Fail when generated files or formatting are stale.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	@git diff --exit-code -- api config || { echo "make generate changed files"; exit 1; }

.PHONY: run
run: ## Run the manager against the cluster of the current kubeconfig.
	go run ./cmd/manager --leader-elect=false

##@ Packaging: clusterctl provider, container image, Tilt, kind e2e
# (docs/development.md). Everything below is built from the Go module proxy,
# except docker-build* and test-e2e-kind, which need a Docker engine.

IMAGE_REPOSITORY ?= ghcr.io/5spot-dev/5spot-manager
# Stamped into the manager (-X main.version) and used as image tag and
# clusterctl release version; pass VERSION=v0.1.0 for a release.
VERSION ?= $(shell git describe --tags --match 'v*' --dirty 2>/dev/null || echo v0.1.99-dev)
IMG ?= $(IMAGE_REPOSITORY):$(VERSION)
RELEASE_DIR ?= out
TARGETOS ?= $(shell go env GOOS)
TARGETARCH ?= $(shell go env GOARCH)
MANAGER_OUT ?= bin/manager-$(TARGETOS)-$(TARGETARCH)
PLATFORMS ?= linux/amd64,linux/arm64
DOCKER ?= docker

.PHONY: manager-static
manager-static: ## Build the static manager exactly as the container image does (TARGETOS, TARGETARCH, VERSION, MANAGER_OUT).
	CGO_ENABLED=0 GOOS=$(TARGETOS) GOARCH=$(TARGETARCH) \
		go build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o $(MANAGER_OUT) ./cmd/manager

.PHONY: docker-build
docker-build: ## Build the manager image IMG for the local platform (needs Docker with BuildKit).
	$(DOCKER) build --build-arg VERSION=$(VERSION) -t $(IMG) .

.PHONY: docker-buildx
docker-buildx: ## Build and push the multi-arch manager image IMG for PLATFORMS.
	$(DOCKER) buildx build --platform $(PLATFORMS) --build-arg VERSION=$(VERSION) -t $(IMG) --push .

.PHONY: release-manifests
release-manifests: ## Write the clusterctl artifacts $(RELEASE_DIR)/addon-components.yaml and metadata.yaml for VERSION.
	hack/release-manifests.sh $(RELEASE_DIR) $(VERSION) $(IMAGE_REPOSITORY)

.PHONY: clusterctl
clusterctl: ## Build clusterctl from the CAPI module (cached in .cache/clusterctl) and print its path.
	@hack/clusterctl-binary.sh

.PHONY: test-e2e-kind
test-e2e-kind: ## Run the kind + CAPD end-to-end suite (needs a Docker engine and internet access).
	cd test/kind && go test ./... -count=1 -timeout 90m -v

##@ End of the packaging block

##@ End-to-end: a local Cluster API management plane (test/e2e, its own Go module)
# Appended block; owned by test/e2e. CAPI's managers and kube-controller-manager
# are built from the Go module proxy into .cache/ (once; minutes the first time).

E2E_BINARIES = \
	assets="$$(hack/envtest-binaries.sh | tail -n1)" && \
	capi="$$(hack/capi-binaries.sh | tail -n1)" && \
	kcm="$$(hack/kube-controller-manager.sh | tail -n1)" && \
	export KUBEBUILDER_ASSETS="$$assets" CAPI_BINARIES="$$capi" KCM_BINARIES="$$kcm"

.PHONY: e2e-binaries
e2e-binaries: ## Build etcd, kube-apiserver, CAPI's managers and kube-controller-manager (cached in .cache/).
	@$(E2E_BINARIES)

.PHONY: test-e2e
test-e2e: ## Run the end-to-end suite against real CAPI controllers (no Docker). E2E_LOG_DIR=dir keeps the logs.
	@$(E2E_BINARIES) && cd test/e2e && go test ./... -count=1 -timeout 20m

.PHONY: mgmt-plane
mgmt-plane: ## Run a local CAPI management plane with 5-Spot until Ctrl-C; prints its kubeconfig path.
	@$(E2E_BINARIES) && cd test/e2e && go run ./cmd/mgmt-plane up $(MGMT_PLANE_ARGS)

##@ End of the e2e block

##@ Demo: `make demo`, the README's main command (test/e2e/cmd/demo)
# Appended block; owned by the demo. It runs the e2e module's local management
# plane (see test/e2e/README.md) with a workload cluster and three example
# ScheduledMachines. The demo binary is built into .cache/ so that
# `demo-up` leaves a plain process (not `go run`) in the background.

DEMO_BIN := $(CURDIR)/.cache/demo/5spot-demo
DEMO_BUILD = (cd test/e2e && go build -o $(DEMO_BIN) ./cmd/demo)

.PHONY: demo
demo: ## Run the demo with a live table until Ctrl-C, which removes everything. DEMO_ARGS="--log-dir DIR" keeps the logs.
	@$(E2E_BINARIES) && $(DEMO_BUILD) && exec $(DEMO_BIN) run $(DEMO_ARGS)

.PHONY: demo-up
demo-up: ## Start the demo in the background; returns once the examples exist and prints the kubeconfig path last.
	@$(E2E_BINARIES) && $(DEMO_BUILD) && exec $(DEMO_BIN) up $(DEMO_ARGS)

.PHONY: demo-down
demo-down: ## Stop the background demo and remove everything it created.
	@$(DEMO_BUILD) && exec $(DEMO_BIN) down

##@ End of the demo block
