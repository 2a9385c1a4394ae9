// Command licence-gate fails (exit 1), naming each offender, when a Go
// module that any Go module of this repository depends on, an npm
// package in the lock file, or a PyPI package a test component is built
// with (test/components/python/*/build.json), is not under an open-source
// licence.
//
//	go run . -root ../..        # what scripts/test-all.sh runs
package main

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	root := flag.String("root", "../..", "repository root: every go.mod below it and its package-lock.json are checked")
	verbose := flag.Bool("v", false, "print every dependency with its licence")
	flag.Parse()
	report, err := run(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "licence gate:", err)
		os.Exit(2)
	}
	report.print(os.Stdout, *verbose)
	if len(report.failures()) > 0 {
		os.Exit(1)
	}
}

// Report is every finding of one run, grouped by where it came from.
type Report struct {
	Findings []Finding
	Sources  []string
}

func run(root string) (*Report, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	report := &Report{}
	dirs, err := goModuleDirs(root)
	if err != nil {
		return nil, err
	}
	for _, dir := range dirs {
		findings, err := checkGoModules(dir)
		if err != nil {
			return nil, err
		}
		report.add(dir, findings)
	}
	requirements, err := pythonRequirements(root)
	if err != nil {
		return nil, err
	}
	if len(requirements) > 0 {
		findings, err := checkPyPI(requirements)
		if err != nil {
			return nil, err
		}
		report.add("pypi:"+strings.Join(requirements, " "), findings)
	}
	lock := filepath.Join(root, "package-lock.json")
	if _, err := os.Stat(lock); err == nil {
		findings, err := checkNpmLock(lock)
		if err != nil {
			return nil, err
		}
		report.add(lock, findings)
	}
	return report, nil
}

func (r *Report) add(source string, findings []Finding) {
	r.Sources = append(r.Sources, source)
	r.Findings = append(r.Findings, findings...)
}

func (r *Report) failures() []Finding {
	var bad []Finding
	for _, f := range r.Findings {
		if !f.Verdict.Open {
			bad = append(bad, f)
		}
	}
	return bad
}

// goModuleDirs finds the repository's own Go modules, skipping installed
// and cached third-party trees and the gate's own test fixtures.
func goModuleDirs(root string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", ".cache", ".git", "testdata", ".terraform":
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == "go.mod" {
			dirs = append(dirs, filepath.Dir(path))
		}
		return nil
	})
	sort.Strings(dirs)
	return dirs, err
}

func (r *Report) print(w io.Writer, verbose bool) {
	for _, source := range r.Sources {
		var n, bad int
		counts := map[string]int{}
		for _, f := range r.Findings {
			if !belongsTo(f, source) {
				continue
			}
			n++
			if !f.Verdict.Open {
				bad++
			}
			for _, id := range f.Verdict.Licences {
				counts[id]++
			}
			if verbose {
				fmt.Fprintf(w, "  %-60s %s\n", f.label(), strings.Join(f.Verdict.Licences, ", "))
			}
		}
		kind := "Go modules"
		switch {
		case strings.HasSuffix(source, "package-lock.json"):
			kind = "npm packages"
		case strings.HasPrefix(source, "pypi:"):
			kind = "PyPI packages"
		}
		fmt.Fprintf(w, "licence gate: %s: %d %s checked, %d not open source (%s)\n", source, n, kind, bad, summarize(counts))
	}
	for _, f := range r.Findings {
		if f.Verdict.Unbuilt {
			fmt.Fprintf(w, "NOTICE: %s [%s]: %s\n", f.label(), f.Source, f.Verdict.Reason)
		}
	}
	failures := r.failures()
	for _, f := range failures {
		fmt.Fprintf(w, "NOT OPEN SOURCE: %s [%s]: %s\n", f.label(), f.Source, f.Verdict.Reason)
	}
	fmt.Fprintf(w, "licence gate: %d dependencies checked, %d not open source\n", len(r.Findings), len(failures))
}

// belongsTo tells whether a finding came from the source a report line is
// about: a go.mod's directory, a lock file, or the PyPI requirement set.
func belongsTo(f Finding, source string) bool {
	if strings.HasPrefix(source, "pypi:") {
		return strings.HasPrefix(f.Source, "pypi:")
	}
	return strings.TrimPrefix(strings.TrimPrefix(f.Source, "go:"), "npm:") == source
}

func summarize(counts map[string]int) string {
	ids := make([]string, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return counts[ids[i]] > counts[ids[j]] })
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		parts = append(parts, fmt.Sprintf("%s %d", id, counts[id]))
	}
	return strings.Join(parts, ", ")
}
