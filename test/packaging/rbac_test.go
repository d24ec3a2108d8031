package packaging

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// providerGroups are Cluster API's provider API groups. ScheduledMachines
// name bootstrap and infrastructure kinds of any provider, unknown when the
// manifests are built, so rules there may name resources "*" (CAPI's own core
// manager does the same); every other rule names its resources.
var providerGroups = map[string]bool{
	"bootstrap.cluster.x-k8s.io":      true,
	"infrastructure.cluster.x-k8s.io": true,
	"controlplane.cluster.x-k8s.io":   true,
}

// readVerbs are all CAPI's cluster cache needs on Secrets (kubeconfigs).
var readVerbs = map[string]bool{"get": true, "list": true, "watch": true}

// escalating verbs let a holder grant itself more than it has.
var escalating = map[string]bool{"escalate": true, "bind": true, "impersonate": true}

const aggregationLabel = "5spot.finos.org/aggregate-to-manager"

type roleUnderTest struct {
	kind, name string
	rules      []rbacv1.PolicyRule
	aggregated *rbacv1.AggregationRule
}

func TestRBACIsLeastPrivilege(t *testing.T) {
	for _, r := range renderings(t) {
		var roles []roleUnderTest
		for _, u := range ofKind(r.objs, "ClusterRole") {
			var cr rbacv1.ClusterRole
			strictInto(t, u, &cr)
			roles = append(roles, roleUnderTest{kind: "ClusterRole", name: cr.Name, rules: cr.Rules, aggregated: cr.AggregationRule})
		}
		for _, u := range ofKind(r.objs, "Role") {
			var ro rbacv1.Role
			strictInto(t, u, &ro)
			roles = append(roles, roleUnderTest{kind: "Role", name: ro.Name, rules: ro.Rules})
		}
		if len(roles) == 0 {
			t.Fatalf("%s: no roles", r.name)
		}
		for _, role := range roles {
			where := r.name + ": " + role.kind + " " + role.name
			if role.aggregated != nil {
				checkAggregation(t, where, role)
				continue
			}
			for i, rule := range role.rules {
				checkRule(t, where, role.kind, i, rule)
			}
		}
	}
}

func checkAggregation(t *testing.T, where string, role roleUnderTest) {
	t.Helper()
	// The API server fills an aggregated role from the selected roles; rules
	// written here would be overwritten, and a broad selector would pull in
	// roles meant for someone else.
	if len(role.rules) != 0 {
		t.Errorf("%s: an aggregated role must not carry rules of its own", where)
	}
	for _, sel := range role.aggregated.ClusterRoleSelectors {
		if len(sel.MatchExpressions) != 0 || len(sel.MatchLabels) != 1 || sel.MatchLabels[aggregationLabel] != "true" {
			t.Errorf("%s: selector %v, want only %s=true", where, sel, aggregationLabel)
		}
	}
}

func checkRule(t *testing.T, where, kind string, i int, rule rbacv1.PolicyRule) {
	t.Helper()
	at := func(format string, args ...any) {
		t.Helper()
		t.Errorf(where+" rule "+strconv.Itoa(i)+": "+format, args...)
	}
	if len(rule.NonResourceURLs) > 0 {
		at("non-resource URLs %v: the manager needs none", rule.NonResourceURLs)
	}
	for _, v := range rule.Verbs {
		if v == "*" {
			at("wildcard verb")
		}
		if escalating[v] {
			at("escalating verb %q", v)
		}
	}
	allProviderGroups := len(rule.APIGroups) > 0
	for _, g := range rule.APIGroups {
		if g == "*" {
			at("wildcard API group")
		}
		allProviderGroups = allProviderGroups && providerGroups[g]
	}
	for _, res := range rule.Resources {
		if strings.HasPrefix(res, "*") && !allProviderGroups {
			at("wildcard resource %q in groups %v: name the resources", res, rule.APIGroups)
		}
	}
	core := contains(rule.APIGroups, "")
	if core && contains(rule.Resources, "secrets") {
		for _, v := range rule.Verbs {
			if !readVerbs[v] {
				at("verb %q on Secrets: CAPI's cluster cache only reads kubeconfig Secrets", v)
			}
		}
	}
	if core && kind == "ClusterRole" && (contains(rule.Resources, "nodes") || contains(rule.Resources, "nodes/status")) {
		at("cluster-wide Node access: Nodes live in workload clusters, reached through CAPI's cluster cache")
	}
}

func TestEveryRoleIsBoundToTheManagerOnly(t *testing.T) {
	for _, r := range renderings(t) {
		d, _ := managerDeployment(t, r.objs)
		sa := d.Spec.Template.Spec.ServiceAccountName
		if len(ofKind(r.objs, "ServiceAccount")) != 1 || ofKind(r.objs, "ServiceAccount")[0].GetName() != sa {
			t.Fatalf("%s: the Deployment runs as %q, which must be the one ServiceAccount of the manifests", r.name, sa)
		}
		bound := map[string]bool{}
		for _, kind := range []string{"ClusterRoleBinding", "RoleBinding"} {
			for _, u := range ofKind(r.objs, kind) {
				var b rbacv1.RoleBinding // same shape as ClusterRoleBinding for these fields
				strictInto(t, u, &b)
				bound[b.RoleRef.Kind+"/"+b.RoleRef.Name] = true
				if len(ofKindNamed(r.objs, b.RoleRef.Kind, b.RoleRef.Name)) != 1 {
					t.Errorf("%s: %s %s refers to %s %s, which is not in the manifests", r.name, kind, b.Name, b.RoleRef.Kind, b.RoleRef.Name)
				}
				for _, s := range b.Subjects {
					if s.Kind != "ServiceAccount" || s.Name != sa || s.Namespace != systemNamespace {
						t.Errorf("%s: %s %s grants to %s %s/%s, not only the manager", r.name, kind, b.Name, s.Kind, s.Namespace, s.Name)
					}
				}
			}
		}
		for _, kind := range []string{"ClusterRole", "Role"} {
			for _, u := range ofKind(r.objs, kind) {
				if !bound[kind+"/"+u.GetName()] {
					t.Errorf("%s: %s %s is bound to nothing", r.name, kind, u.GetName())
				}
			}
		}
	}
}

func ofKindNamed(objs []unstructured.Unstructured, kind, name string) []unstructured.Unstructured {
	var out []unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			out = append(out, o)
		}
	}
	return out
}

// clusterctlVar matches the variables clusterctl substitutes: ${NAME},
// ${NAME:=default}, ${NAME=default}, ${NAME:-default}, ${NAME-default}.
var clusterctlVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])([^}]*))?\}`)

func TestEveryVariableHasADefaultOrIsDocumented(t *testing.T) {
	docs := string(readFile(t, "docs/development.md"))
	for _, r := range renderings(t) {
		matches := clusterctlVar.FindAllStringSubmatch(string(r.raw), -1)
		if len(matches) == 0 {
			t.Fatalf("%s: no ${VAR} at all; the manager's settings are meant to be variables", r.name)
		}
		for _, m := range matches {
			name, hasDefault := m[1], m[2] != "" && m[3] != ""
			// Providers share clusterctl's variable namespace.
			if !strings.HasPrefix(name, "FIVESPOT_") {
				t.Errorf("%s: variable %s does not start with FIVESPOT_", r.name, name)
			}
			row := docRow(docs, name)
			switch {
			case row == "" && !hasDefault:
				t.Errorf("%s: ${%s} has no default and is not documented: clusterctl init would stop on it", r.name, name)
			case row == "":
				t.Errorf("%s: ${%s} is not in docs/development.md's variable table", r.name, name)
			case !hasDefault && !strings.Contains(strings.ToLower(row), "required"):
				t.Errorf("%s: ${%s} has no default, so its documentation must say it is required", r.name, name)
			}
		}
	}
}

// docRow returns the Markdown table row documenting a variable.
func docRow(docs, name string) string {
	for _, line := range strings.Split(docs, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "|") && strings.Contains(line, "`"+name+"`") {
			return line
		}
	}
	return ""
}
