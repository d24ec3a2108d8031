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
test: ## Run all tests against a real kube-apiserver and etcd.
	@assets="$$(hack/envtest-binaries.sh | tail -n1)" && \
	KUBEBUILDER_ASSETS="$$assets" go test ./... -count=1 -timeout 20m

.PHONY: verify
verify: generate ## Fail when generated files or formatting are stale.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	@git diff --exit-code -- api config || { echo "make generate changed files"; exit 1; }

.PHONY: run
run: ## Run the manager against the cluster of the current kubeconfig.
	go run ./cmd/manager --leader-elect=false
