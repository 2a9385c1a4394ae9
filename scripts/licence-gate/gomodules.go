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
	var findings []Finding
	var toDownload []string
	effective := map[string]*goModule{} // path@version -> module whose files to read
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
		findings = append(findings, Finding{Name: m.Path, Version: m.Version, Source: "go:" + dir, key: key})
	}
	if len(toDownload) > 0 {
		// Outside any module: `go mod download` inside one would add to its go.sum.
		outside, err := os.MkdirTemp("", "licence-gate-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(outside)
		downloaded, err := goJSON(outside, append([]string{"mod", "download", "-json"}, toDownload...)...)
		if err != nil {
			return nil, err
		}
		for _, d := range downloaded {
			if m, ok := effective[d.Path+"@"+d.Version]; ok {
				m.Dir = d.Dir
				if d.Error != nil {
					m.Dir = ""
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
			f.Verdict = Verdict{Reason: "module files could not be fetched to read its licence"}
			continue
		}
		f.Verdict, f.Files = classifyDir(m.Dir)
		applyReviewed(f)
	}
	return findings, nil
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
