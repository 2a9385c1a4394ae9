package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// goModule is what `go list -m -json` and `go mod download -json` print.
type goModule struct {
	Path    string
	Version string
	Main    bool
	Dir     string
	Replace *goModule
	Error   interface{}
}

// checkGoModules lists every module the Go module in dir depends on
// (`go list -m all`: the whole module graph, not only what one build
// compiles), fetches each one's files into the module cache when they are
// not there yet, and classifies the licence files at each module's root.
// For a replaced module the replacement is what gets built, so that is what
// is checked.
func checkGoModules(dir string) ([]Finding, error) {
	listed, err := goJSON(dir, "list", "-m", "-json", "all")
	if err != nil {
		return nil, err
	}
	built, err := builtModules(dir)
	if err != nil {
		return nil, err
	}
	var findings []Finding
	var toDownload []string
	effective := map[string]*goModule{} // path@version -> module whose files to read
	fetchErrors := map[string]string{}  // path@version -> why `go mod download` failed
	for i := range listed {
		m := &listed[i]
		if m.Main {
			continue
		}
		use := m
		if m.Replace != nil {
			use = m.Replace
		}
		key := use.Path + "@" + use.Version
		if use.Version == "" { // replaced by a directory
			key = use.Path
			if !filepath.IsAbs(use.Path) {
				use.Dir = filepath.Join(dir, use.Path)
			}
		}
		effective[key] = use
		if use.Dir == "" {
			toDownload = append(toDownload, key)
		}
		findings = append(findings, Finding{Name: m.Path, Version: m.Version, Source: "go:" + dir, Built: built[m.Path], key: key})
	}
	if len(toDownload) > 0 {
		downloaded, err := downloadModules(dir, toDownload)
		if err != nil {
			return nil, err
		}
		for _, d := range downloaded {
			if m, ok := effective[d.Path+"@"+d.Version]; ok {
				m.Dir = d.Dir
				if d.Error != nil {
					m.Dir = ""
					fetchErrors[d.Path+"@"+d.Version] = fmt.Sprint(d.Error)
				}
			}
		}
	}
	for i := range findings {
		f := &findings[i]
		m := effective[f.key]
		if m.Path != f.Name || m.Version != f.Version {
			f.ReplacedBy = strings.TrimSuffix(m.Path+" "+m.Version, " ")
		}
		if m.Dir == "" {
			f.Verdict = Verdict{Reason: strings.TrimSuffix("module files could not be fetched to read its licence: "+fetchErrors[f.key], ": ")}
			continue
		}
		f.Verdict, f.Files = classifyDir(m.Dir)
		applyReviewed(f)
		excuseUnbuilt(f)
	}
	return findings, nil
}

// downloadModules fetches modules into the module cache, verified against
// the checksums the checked module's own go.sum pins (the ones its build
// verifies with), falling back to the checksum database for modules it does
// not pin. It runs in a scratch module holding a copy of that go.sum:
// `go mod download` in the checked module itself could add to its go.sum, and
// outside any module every checksum comes from the database, which lacks some
// pseudo-versions a replace directive pins (go.etcd.io/etcd/client/pkg/v3 in
// Vault's go.mod).
func downloadModules(dir string, modules []string) ([]goModule, error) {
	scratch, err := os.MkdirTemp("", "licence-gate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)
	if err := os.WriteFile(filepath.Join(scratch, "go.mod"), []byte("module licence-gate-fetch\n"), 0o644); err != nil {
		return nil, err
	}
	sums, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(scratch, "go.sum"), sums, 0o644); err != nil {
		return nil, err
	}
	return goJSON(scratch, append([]string{"mod", "download", "-json"}, modules...)...)
}

// builtModules lists the modules whose packages go into anything this Go
// module builds or tests: its packages, their tests, and the tools it builds
// (a tools.go behind the `tools` build tag). The rest of `go list -m all` is
// only in the module graph: their go.mod files are read, their code never
// compiled. -e: importing a program (tools.go does) is an error to `go list`,
// but it still walks the program's dependencies, which is what we want.
func builtModules(dir string) (map[string]bool, error) {
	cmd := exec.Command("go", "list", "-e", "-deps", "-test", "-tags", "tools", "-f", "{{with .Module}}{{.Path}}{{end}}", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go list -deps in %s: %v: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	built := map[string]bool{}
	for _, path := range strings.Fields(stdout.String()) {
		built[path] = true
	}
	return built, nil
}

// excuseUnbuilt: a module that states no licence we can read, and whose code
// nothing here compiles, is only a name in the module graph (a test
// dependency of a dependency). It is reported, not failed. A module whose
// licence is recognised as not open source (BUSL) fails whether built or not.
func excuseUnbuilt(f *Finding) {
	if f.Verdict.Open || f.Verdict.Recognised || f.Built {
		return
	}
	f.Verdict = Verdict{Open: true, Unbuilt: true, Reason: f.Verdict.Reason + "; not compiled into anything this repository builds or tests"}
}

// goJSON runs a go command printing a stream of JSON module objects.
// -mod=readonly: the gate must never change a go.mod or go.sum.
func goJSON(dir string, args ...string) ([]goModule, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var mods []goModule
	dec := json.NewDecoder(&stdout)
	for {
		var m goModule
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go %s in %s: unreadable output: %w", args[0], dir, err)
		}
		mods = append(mods, m)
	}
	// `go mod download -json` exits 1 when one module fails but still
	// reports the others; its per-module Error is handled by the caller.
	if runErr != nil && len(mods) == 0 {
		return nil, fmt.Errorf("go %s in %s: %v: %s", strings.Join(args[:2], " "), dir, runErr, strings.TrimSpace(stderr.String()))
	}
	return mods, nil
}

// LICENSE, LICENSE.md, LICENSE-APACHE, LICENSE.docs, COPYING, ... but not
// source files that happen to be named license.go or license_test.go.
var licenceFileName = regexp.MustCompile(`(?i)^(licen[cs]e|copying|unlicense)([-._][a-z0-9._-]*)?$`)
var sourceFile = regexp.MustCompile(`(?i)\.(go|js|mjs|cjs|ts|json|py|rs|c|h|sh|ya?ml|html?)$`)

// classifyDir reads the licence files at the root of a module or package.
// It is open source when at least one licence is recognised and none found
// is outside the open-source list; unrecognised extra files (notices,
// third-party lists) are ignored when a recognised licence sits beside them.
func classifyDir(dir string) (Verdict, []string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Verdict{Reason: "cannot read module files: " + err.Error()}, nil
	}
	var files []string
	var recognised []Verdict
	for _, e := range entries {
		if e.IsDir() || !licenceFileName.MatchString(e.Name()) || sourceFile.MatchString(e.Name()) {
			continue
		}
		text, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		files = append(files, e.Name())
		v := classifyText(text)
		if !v.Open && v.Recognised {
			return v, files // a recognised licence that is not open source decides
		}
		if v.Open {
			recognised = append(recognised, v)
		}
	}
	if len(files) == 0 {
		return Verdict{Reason: "no licence file at the module root"}, nil
	}
	if len(recognised) == 0 {
		return Verdict{Reason: "licence text not recognised (" + strings.Join(files, ", ") + ")"}, files
	}
	merged := map[string]bool{}
	for _, v := range recognised {
		for _, id := range v.Licences {
			merged[id] = true
		}
	}
	return Verdict{Licences: sortedKeys(merged), Open: true}, files
}
