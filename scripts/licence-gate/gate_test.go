package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A repository laid out like ours: one Go module requiring dependencies
// that are local directories (replace => ./dep), each with the licence file
// given, and a package-lock.json. No network: local replacements need none.
func fixtureRepo(t *testing.T, goDeps map[string]string, npm map[string]string) string {
	t.Helper()
	root := t.TempDir()
	goMod := "module example.com/app\n\ngo 1.21\n"
	for name, licenceFile := range goDeps {
		dir := filepath.Join(root, "deps", name)
		write(t, filepath.Join(dir, "go.mod"), "module example.com/"+name+"\n\ngo 1.21\n")
		write(t, filepath.Join(dir, name+".go"), "package "+name+"\n")
		if licenceFile != "" {
			write(t, filepath.Join(dir, "LICENSE"), read(t, filepath.Join("testdata", licenceFile)))
		}
		goMod += "require example.com/" + name + " v1.0.0\nreplace example.com/" + name + " => ./deps/" + name + "\n"
	}
	write(t, filepath.Join(root, "go.mod"), goMod)
	packages := map[string]map[string]string{"": {"name": "app"}}
	for name, licence := range npm {
		packages["node_modules/"+name] = map[string]string{"version": "1.0.0", "license": licence}
	}
	lock, _ := json.Marshal(map[string]interface{}{"lockfileVersion": 3, "packages": packages})
	write(t, filepath.Join(root, "package-lock.json"), string(lock))
	return root
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func failureFor(t *testing.T, r *Report, name string) Finding {
	t.Helper()
	for _, f := range r.failures() {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("gate did not fail %s; failures: %+v", name, r.failures())
	return Finding{}
}

func TestGateFailsABUSLGoModuleByName(t *testing.T) {
	root := fixtureRepo(t, map[string]string{"busl": "BUSL-LICENSE", "mit": "MIT-LICENSE"}, nil)
	report, err := run(root)
	if err != nil {
		t.Fatal(err)
	}
	f := failureFor(t, report, "example.com/busl")
	if !strings.Contains(f.Verdict.Reason, "Business Source License") {
		t.Errorf("reason %q does not name the Business Source License", f.Verdict.Reason)
	}
	if len(report.failures()) != 1 {
		t.Errorf("only the BUSL module may fail, got %+v", report.failures())
	}
	var out strings.Builder
	report.print(&out, false)
	if !strings.Contains(out.String(), "NOT OPEN SOURCE: example.com/busl v1.0.0") {
		t.Errorf("output does not name the module:\n%s", out.String())
	}
}

func TestGatePassesOpenSourceGoModules(t *testing.T) {
	report, err := run(fixtureRepo(t, map[string]string{"mit": "MIT-LICENSE"}, map[string]string{"left-pad": "MIT"}))
	if err != nil {
		t.Fatal(err)
	}
	if bad := report.failures(); len(bad) != 0 {
		t.Fatalf("unexpected failures: %+v", bad)
	}
	if len(report.Findings) != 2 {
		t.Fatalf("want 2 dependencies checked (one Go, one npm), got %d", len(report.Findings))
	}
}

func TestGateFailsAGoModuleWithoutLicence(t *testing.T) {
	report, err := run(fixtureRepo(t, map[string]string{"nolicence": ""}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if f := failureFor(t, report, "example.com/nolicence"); !strings.Contains(f.Verdict.Reason, "no licence file") {
		t.Errorf("reason %q", f.Verdict.Reason)
	}
}

func TestGateJudgesNpmLicenceExpressions(t *testing.T) {
	report, err := run(fixtureRepo(t, nil, map[string]string{
		"busl-pkg":      "BUSL-1.1",
		"sspl-pkg":      "SSPL-1.0",
		"private-pkg":   "UNLICENSED",
		"dual-pkg":      "(MIT OR BUSL-1.1)",
		"both-pkg":      "MIT AND BUSL-1.1",
		"llvm-pkg":      "Apache-2.0 WITH LLVM-exception",
		"gibberish-pkg": "MIT OR (",
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"busl-pkg", "sspl-pkg", "private-pkg", "both-pkg", "gibberish-pkg"} {
		failureFor(t, report, name)
	}
	if n := len(report.failures()); n != 5 {
		t.Errorf("want exactly 5 failures (dual-pkg and llvm-pkg are open source), got %d: %+v", n, report.failures())
	}
}

func TestGateReadsTheLicenceFileOfAnInstalledNpmPackageThatDeclaresNone(t *testing.T) {
	root := fixtureRepo(t, nil, map[string]string{"undeclared": "", "see-file": "SEE LICENSE IN COPYING.txt"})
	write(t, filepath.Join(root, "node_modules/undeclared/LICENSE"), read(t, "testdata/MIT-LICENSE"))
	write(t, filepath.Join(root, "node_modules/see-file/COPYING.txt"), read(t, "testdata/BUSL-LICENSE"))
	report, err := run(root)
	if err != nil {
		t.Fatal(err)
	}
	failureFor(t, report, "see-file")
	if n := len(report.failures()); n != 1 {
		t.Errorf("the MIT file of 'undeclared' must pass; failures: %+v", report.failures())
	}
}

func TestReviewedEntriesNameOnlyOpenSourceLicences(t *testing.T) {
	for key, entry := range reviewed {
		if !openSource[entry.Licence] {
			t.Errorf("%s: reviewed as %q, which is not on the open-source list", key, entry.Licence)
		}
		if entry.Evidence == "" {
			t.Errorf("%s: reviewed without saying where the licence was found", key)
		}
	}
}

// The gate itself, on this repository: every go.mod below the root and the
// npm lock file. This is the check .ci/run relies on.
func TestRepositoryDependsOnlyOnOpenSource(t *testing.T) {
	report, err := run("../..")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	report.print(&out, false)
	t.Log("\n" + out.String())
	if len(report.Findings) < 100 {
		t.Fatalf("only %d dependencies found: the gate is not looking at the repository", len(report.Findings))
	}
	for _, f := range report.failures() {
		t.Errorf("NOT OPEN SOURCE: %s [%s]: %s", f.label(), f.Source, f.Verdict.Reason)
	}
}
