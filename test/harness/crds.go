package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// CAPIVersion is the Cluster API release whose CRDs the harness installs. It
// matches go.mod (a test checks that).
const CAPIVersion = "v1.14.2"

// contractLabel is the label clusterctl's kustomizations add to provider CRDs;
// CAPI's controllers use it to find the provider version matching the v1beta2
// contract, so CRDs loaded raw must carry it too.
const contractLabel = "cluster.x-k8s.io/v1beta2"

// CRDSource is a folder of CRD manifests inside a Go module.
type CRDSource struct {
	Module  string // module path, e.g. sigs.k8s.io/cluster-api
	Version string // module version
	Dir     string // folder inside the module
	// Provider marks provider CRDs, which get the contract label.
	Provider bool
}

// CAPICRDs are the Cluster API CRDs 5-Spot's tests need: core v1beta2,
// kubeadm bootstrap and control plane, and CAPD's Dev* types (in-memory backend).
var CAPICRDs = []CRDSource{
	{Module: "sigs.k8s.io/cluster-api", Version: CAPIVersion, Dir: "core/config/crd/bases"},
	{Module: "sigs.k8s.io/cluster-api", Version: CAPIVersion, Dir: "bootstrap/kubeadm/config/crd/bases", Provider: true},
	{Module: "sigs.k8s.io/cluster-api", Version: CAPIVersion, Dir: "controlplane/kubeadm/config/crd/bases", Provider: true},
	{Module: "sigs.k8s.io/cluster-api/test", Version: CAPIVersion, Dir: "infrastructure/docker/config/crd/bases", Provider: true},
}

// ModuleDir returns the folder of module@version in the module cache,
// downloading it through the module proxy when needed.
func ModuleDir(module, version string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w: %s", module, version, err, stderr.String())
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w", module, version, err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", module, version, info.Error)
	}
	return info.Dir, nil
}

// LoadCRDs reads every CRD of the sources, adding the contract label to
// provider CRDs.
func LoadCRDs(sources []CRDSource) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	dirs := map[string]string{}
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, src := range sources {
		key := src.Module + "@" + src.Version
		if _, ok := dirs[key]; !ok {
			d, err := ModuleDir(src.Module, src.Version)
			if err != nil {
				return nil, err
			}
			dirs[key] = d
		}
		loaded, err := ReadCRDDir(filepath.Join(dirs[key], src.Dir))
		if err != nil {
			return nil, err
		}
		if src.Provider {
			for _, crd := range loaded {
				addContractLabel(crd)
			}
		}
		crds = append(crds, loaded...)
	}
	return crds, nil
}

// ReadCRDDir reads every CRD in the YAML files of a folder.
func ReadCRDDir(dir string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no CRD manifests in %s", dir)
	}
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := dec.Decode(crd); err != nil {
				if err.Error() == "EOF" {
					break
				}
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if crd.Kind == "CustomResourceDefinition" {
				crds = append(crds, crd)
			}
		}
	}
	return crds, nil
}

func addContractLabel(crd *apiextensionsv1.CustomResourceDefinition) {
	var versions []string
	for _, v := range crd.Spec.Versions {
		if v.Served && strings.HasPrefix(v.Name, "v1beta2") {
			versions = append(versions, v.Name)
		}
	}
	if len(versions) == 0 {
		for _, v := range crd.Spec.Versions {
			if v.Storage {
				versions = append(versions, v.Name)
			}
		}
	}
	if crd.Labels == nil {
		crd.Labels = map[string]string{}
	}
	crd.Labels[contractLabel] = strings.Join(versions, "_")
}
