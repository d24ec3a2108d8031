package lifecycle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// TemplateHash identifies what a Machine is built from: the inline
// bootstrap and infrastructure specs, the Machine's labels and annotations,
// the pinned version and the drain timeout. Inline specs are hashed in
// canonical JSON (sorted keys), so a re-serialised but equal spec hashes the
// same. The result is a valid label value.
func TemplateHash(bootstrap, infrastructure v1alpha1.EmbeddedResource, mt *v1alpha1.MachineTemplate, version string, drain *metav1.Duration) string {
	doc := struct {
		Bootstrap, Infrastructure [3]any
		MachineTemplate           *v1alpha1.MachineTemplate
		Version                   string
		Drain                     *metav1.Duration
	}{
		[3]any{bootstrap.APIVersion, bootstrap.Kind, canonical(bootstrap.Spec.Raw)},
		[3]any{infrastructure.APIVersion, infrastructure.Kind, canonical(infrastructure.Spec.Raw)},
		mt, version, drain,
	}
	data, _ := json.Marshal(doc) // plain data: cannot fail
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:16]
}

// canonical decodes raw JSON so that re-encoding sorts its keys; raw that
// does not decode is hashed as it is.
func canonical(raw []byte) any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	return v
}
