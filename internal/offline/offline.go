// Package offline validates 5-Spot manifests without a cluster, with the same
// code the API server runs for custom resources (structural schema, defaults,
// list types, CEL rules) followed by the webhook's rules, in the same order,
// so that users' CI reports exactly what admission would.
package offline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/config/crd"
	"github.com/5spot-dev/5spot/internal/validation"
)

// DefaultNamespace is used for manifests without a namespace, as kubectl does.
const DefaultNamespace = "default"

// Validator validates ScheduledMachine and ScheduledMachinePool manifests offline.
type Validator struct {
	opts       validation.Options
	structural *structuralschema.Structural
	schema     apiservervalidation.SchemaValidator
	cel        *cel.Validator
	// pools validates ScheduledMachinePools with their own CRD; nil for a
	// validator built from one CRD.
	pools *Validator
	// scale is the CRD's /scale subresource, whose replica paths the API
	// server checks too.
	scale *apiextensionsv1.CustomResourceSubresourceScale
}

// Result is the outcome for one object.
type Result struct {
	// Object is the object with defaults applied, when it decoded.
	Object *v1alpha1.ScheduledMachine
	// Pool is set instead of Object when the document is a ScheduledMachinePool.
	Pool *v1alpha1.ScheduledMachinePool
	// Errors are the violations, with field paths, in the API server's words.
	Errors field.ErrorList
	// Warnings do not block admission.
	Warnings []string
}

// NewValidator builds a validator from the embedded generated CRDs.
func NewValidator(opts validation.Options) (*Validator, error) {
	v, err := NewValidatorFromCRD(crd.ScheduledMachines, opts)
	if err != nil {
		return nil, err
	}
	if v.pools, err = NewValidatorFromCRD(crd.ScheduledMachinePools, opts); err != nil {
		return nil, err
	}
	return v, nil
}

// NewValidatorFromCRD builds a validator from a CRD manifest.
func NewValidatorFromCRD(crdYAML []byte, opts validation.Options) (*Validator, error) {
	c := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(crdYAML, c); err != nil {
		return nil, fmt.Errorf("reading the CRD: %w", err)
	}
	var version *apiextensionsv1.CustomResourceDefinitionVersion
	for i := range c.Spec.Versions {
		if c.Spec.Versions[i].Name == v1alpha1.GroupVersion.Version {
			version = &c.Spec.Versions[i]
		}
	}
	if version == nil || version.Schema == nil {
		return nil, fmt.Errorf("the CRD has no schema for %s", v1alpha1.GroupVersion)
	}
	internal := &apiextensionsinternal.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(version.Schema, internal, nil); err != nil {
		return nil, err
	}
	structural, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("the CRD schema is not structural: %w", err)
	}
	schemaValidator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, err
	}
	v := &Validator{
		opts:       opts,
		structural: structural,
		schema:     schemaValidator,
		cel:        cel.NewValidator(structural, true, celconfig.PerCallLimit),
	}
	if version.Subresources != nil {
		v.scale = version.Subresources.Scale
	}
	return v, nil
}

// Validate checks one object as the API server would on create: schema
// defaults, pruning, schema and CEL rules; when those pass, the webhook's rules.
func (v *Validator) Validate(ctx context.Context, u *unstructured.Unstructured) Result {
	gvk := u.GroupVersionKind()
	if gvk.GroupVersion() == v1alpha1.GroupVersion && gvk.Kind == "ScheduledMachinePool" && v.pools != nil {
		return v.pools.validatePool(ctx, u)
	}
	if gvk.GroupVersion() != v1alpha1.GroupVersion || gvk.Kind != "ScheduledMachine" {
		return Result{Errors: field.ErrorList{field.Invalid(field.NewPath("kind"), gvk.String(), "not a 5spot.finos.org/v1alpha1 ScheduledMachine")}}
	}
	obj, errs := v.admitSchema(ctx, u)
	if len(errs) > 0 {
		return Result{Errors: errs}
	}
	sm := &v1alpha1.ScheduledMachine{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, sm); err != nil {
		return Result{Errors: field.ErrorList{field.Invalid(nil, nil, err.Error())}}
	}
	webhookErrs, warnings := validation.ValidateScheduledMachine(sm, v.opts)
	return Result{Object: sm, Errors: webhookErrs, Warnings: warnings}
}

// validatePool is Validate for a ScheduledMachinePool, with the pool's CRD.
func (v *Validator) validatePool(ctx context.Context, u *unstructured.Unstructured) Result {
	obj, errs := v.admitSchema(ctx, u)
	if len(errs) > 0 {
		return Result{Errors: errs}
	}
	p := &v1alpha1.ScheduledMachinePool{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, p); err != nil {
		return Result{Errors: field.ErrorList{field.Invalid(nil, nil, err.Error())}}
	}
	webhookErrs, warnings := validation.ValidateScheduledMachinePool(p, v.opts)
	return Result{Pool: p, Errors: webhookErrs, Warnings: warnings}
}

// admitSchema applies what the API server does for a custom resource before
// webhooks: defaults, pruning, metadata, schema, list types and CEL rules.
// It returns the defaulted object and the violations.
func (v *Validator) admitSchema(ctx context.Context, u *unstructured.Unstructured) (*unstructured.Unstructured, field.ErrorList) {
	obj := u.DeepCopy()
	if obj.GetNamespace() == "" {
		obj.SetNamespace(DefaultNamespace)
	}
	structuraldefaulting.Default(obj.Object, v.structural)
	var errs field.ErrorList
	for _, path := range structuralpruning.PruneWithOptions(obj.Object, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
		errs = append(errs, field.Invalid(field.NewPath(path), nil, "field not declared in schema"))
	}
	errs = append(errs, metavalidation.ValidateObjectMetaAccessor(obj, true, metavalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, obj.UnstructuredContent(), v.schema)...)
	if v.scale != nil {
		errs = append(errs, validateReplicas(obj, v.scale.SpecReplicasPath)...)
		errs = append(errs, validateReplicas(obj, v.scale.StatusReplicasPath)...)
	}
	errs = append(errs, schemaobjectmeta.Validate(nil, obj.Object, v.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, v.structural, obj.Object)...)
	if blocking(errs) {
		errs = append(errs, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
	} else {
		celErrs, _ := v.cel.Validate(ctx, nil, v.structural, obj.Object, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	return obj, errs
}

// validateReplicas applies the API server's rule for a /scale replica path
// (".spec.replicas"): when set, an integer from 0 to MaxInt32. It is checked
// besides the schema's own bounds, and reported under the path as written.
func validateReplicas(obj *unstructured.Unstructured, path string) field.ErrorList {
	fields := strings.Split(strings.TrimPrefix(path, "."), ".")
	var n int64
	var err error
	// Manifests decode numbers as float64, the API server as int64: read
	// an integral float as the integer the API server would see.
	if f, ok, _ := unstructured.NestedFieldNoCopy(obj.Object, fields...); ok {
		if x, isFloat := f.(float64); isFloat && x == math.Trunc(x) {
			n = int64(x)
		} else {
			n, _, err = unstructured.NestedInt64(obj.Object, fields...)
		}
	}
	switch {
	case err != nil:
		return field.ErrorList{field.Invalid(field.NewPath(path), n, err.Error())}
	case n < 0:
		return field.ErrorList{field.Invalid(field.NewPath(path), n, "should be a non-negative integer")}
	case n > math.MaxInt32:
		return field.ErrorList{field.Invalid(field.NewPath(path), n, fmt.Sprintf("should be less than or equal to %v", math.MaxInt32))}
	}
	return nil
}

// blocking mirrors the API server: after these errors CEL rules are not run.
func blocking(errs field.ErrorList) bool {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}

// Document is one YAML document of a manifest file.
type Document struct {
	Index  int
	Object *unstructured.Unstructured
}

// ReadDocuments splits a multi-document YAML or JSON stream into objects,
// skipping empty documents.
func ReadDocuments(r io.Reader) ([]Document, error) {
	reader := utilyaml.NewYAMLReader(bufioReader(r))
	var docs []Document
	for i := 0; ; i++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if len(bytes.TrimSpace(stripComments(raw))) == 0 {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(raw, &u.Object); err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		docs = append(docs, Document{Index: i, Object: u})
	}
}

// ViolationLines renders errors as "<field>: <message>", exactly as the API
// server reports them in a rejection's causes (it too writes "<nil>" for
// errors that concern no single field).
func ViolationLines(errs field.ErrorList) []string {
	lines := make([]string, 0, len(errs))
	for _, e := range errs {
		lines = append(lines, e.Field+": "+e.ErrorBody())
	}
	return lines
}
