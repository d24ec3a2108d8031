package packaging

import (
	"bufio"
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// dockerStage is one FROM ... stage of the Dockerfile.
type dockerStage struct {
	from  string
	lines []string // instructions, continuation lines joined
}

func parseDockerfile(t *testing.T) []dockerStage {
	t.Helper()
	var stages []dockerStage
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, "Dockerfile")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if cont, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(line)
		instr := strings.Join(strings.Fields(cur.String()), " ")
		cur.Reset()
		if strings.HasPrefix(instr, "FROM ") {
			stages = append(stages, dockerStage{from: instr})
			continue
		}
		if len(stages) > 0 {
			stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, instr)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: want a build stage and a runtime stage, found %d stages", len(stages))
	}
	return stages
}

func TestDockerfileBuildsWithTheMakeTargetOnADistrolessNonRootBase(t *testing.T) {
	stages := parseDockerfile(t)
	build, final := stages[0], stages[len(stages)-1]
	var buildCmd string
	for _, l := range build.lines {
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "make manager-static") {
			buildCmd = l
		}
	}
	if buildCmd == "" {
		t.Fatalf("the build stage does not run `make manager-static` (the target CI tests): %v", build.lines)
	}
	for _, arg := range []string{"TARGETOS=${TARGETOS}", "TARGETARCH=${TARGETARCH}", "VERSION=${VERSION}", "MANAGER_OUT=/out/manager"} {
		if !strings.Contains(buildCmd, arg) {
			t.Errorf("the build stage's make call lacks %s: %s", arg, buildCmd)
		}
	}
	if !strings.Contains(build.from, "--platform=$BUILDPLATFORM") {
		t.Errorf("the build stage should cross-compile on the build platform: %s", build.from)
	}
	if !strings.HasPrefix(final.from, "FROM gcr.io/distroless/static") {
		t.Errorf("runtime base %q, want distroless/static", final.from)
	}
	for _, want := range []string{"COPY --from=build /out/manager /manager", "USER 65532:65532", `ENTRYPOINT ["/manager"]`} {
		if !contains(final.lines, want) {
			t.Errorf("runtime stage lacks %q: %v", want, final.lines)
		}
	}
	// The Deployment runs the image's binary as the image's user.
	d, c := managerDeployment(t, decodeObjects(t, kustomizeBuild(t, "config/default")))
	if psc := d.Spec.Template.Spec.SecurityContext; psc == nil || psc.RunAsUser == nil || *psc.RunAsUser != 65532 {
		t.Errorf("the Deployment does not run as the image's user 65532")
	}
	if len(c.Command) != 1 || c.Command[0] != "/manager" {
		t.Errorf("the Deployment runs %v, not the image's /manager", c.Command)
	}
}

func TestManagerStaticBuildIsStaticStampedAndTakesTheDeploymentsFlags(t *testing.T) {
	const version = "v0.0.0-packaging-test"
	bin := filepath.Join(t.TempDir(), "manager")
	// The build stage's commands, in a copy of the context `docker build .`
	// sends, for this machine's architecture.
	context := dockerBuildContext(t)
	mustRun(t, 10*time.Minute, context, goEnv(), "go", "mod", "download")
	mustRun(t, 15*time.Minute, context, goEnv(), "make", "--no-print-directory", "manager-static",
		"TARGETOS=linux", "TARGETARCH="+runtime.GOARCH, "VERSION="+version, "MANAGER_OUT="+bin)

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("the manager is not an ELF binary: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the manager has a %s program header: it is dynamically linked and would not run on distroless/static", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the manager needs shared libraries %v", libs)
	}
	if want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]; want != 0 && f.Machine != want {
		t.Errorf("built for %s, want %s", f.Machine, want)
	}

	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for key, want := range map[string]string{"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": runtime.GOARCH, "-trimpath": "true"} {
		if settings[key] != want {
			t.Errorf("build setting %s=%q, want %q", key, settings[key], want)
		}
	}
	if info.Path != "github.com/5spot-dev/5spot/cmd/manager" {
		t.Errorf("built %s, want the manager", info.Path)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	// Go leaves -ldflags out of the build info under -trimpath, so the stamp
	// is checked in the binary's data: -X stores the string there.
	if !bytes.Contains(data, []byte(version)) {
		t.Errorf("the stamped version %q is not in the binary", version)
	}

	// Every flag the Deployment passes must exist, or the pod crash-loops.
	help, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("manager --help: %v\n%s", err, help)
	}
	_, c := managerDeployment(t, decodeObjects(t, kustomizeBuild(t, "config/default")))
	for _, a := range c.Args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !bytes.Contains(help, []byte("  -"+name+" ")) && !bytes.Contains(help, []byte("  -"+name+"\n")) {
			t.Errorf("the Deployment passes --%s, which the manager does not define:\n%s", name, help)
		}
	}
}

// dockerBuildContext copies the repository as `docker build .` would send it:
// without what .dockerignore excludes. Its patterns are root-relative globs
// that also exclude everything under a matching folder, as Docker reads them.
func dockerBuildContext(t *testing.T) string {
	t.Helper()
	var patterns []string
	for _, line := range strings.Split(string(readFile(t, ".dockerignore")), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, strings.TrimSuffix(line, "/"))
		}
	}
	excluded := func(rel string) bool {
		for p := rel; p != "."; p = filepath.Dir(p) {
			for _, pat := range patterns {
				if ok, _ := filepath.Match(pat, p); ok {
					return true
				}
			}
		}
		return false
	}
	dst := t.TempDir()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "." {
			return nil
		}
		if excluded(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, needed := range []string{"Makefile", "go.mod", "go.sum", "cmd/manager"} {
		if _, err := os.Stat(filepath.Join(dst, needed)); err != nil {
			t.Fatalf(".dockerignore leaves %s out of the build context", needed)
		}
	}
	return dst
}
