package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// pythonBuild is the part of test/components/python/<name>/build.json the
// gate reads: the PyPI requirements a component is built with. The file is
// one such object, or a list of them (several builds from one directory).
type pythonBuild struct {
	Requirements []string `json:"requirements"`
}

// pythonRequirements collects the requirements of every Python component
// build (scripts/components/python.ts), sorted and without repeats.
func pythonRequirements(root string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, "test/components/python/*/build.json"))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var builds []pythonBuild
		if err := json.Unmarshal(raw, &builds); err != nil {
			var one pythonBuild
			if err := json.Unmarshal(raw, &one); err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			builds = []pythonBuild{one}
		}
		for _, build := range builds {
			for _, r := range build.Requirements {
				seen[r] = true
			}
		}
	}
	reqs := make([]string, 0, len(seen))
	for r := range seen {
		reqs = append(reqs, r)
	}
	sort.Strings(reqs)
	return reqs, nil
}

// checkPyPI downloads the wheels of the requirements and everything they
// pull in (pip, wheels only: an sdist's licence is not declared the same
// way) and classifies each one.
func checkPyPI(requirements []string) ([]Finding, error) {
	dir, err := os.MkdirTemp("", "licence-gate-pypi-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	args := append([]string{"-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--only-binary=:all:", "--dest", dir}, requirements...)
	if out, err := exec.Command("python3", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pip download %s: %w\n%s", strings.Join(requirements, " "), err, out)
	}
	wheels, err := filepath.Glob(filepath.Join(dir, "*.whl"))
	if err != nil {
		return nil, err
	}
	var findings []Finding
	for _, wheel := range wheels {
		f, err := classifyWheel(wheel)
		if err != nil {
			return nil, err
		}
		applyReviewed(&f)
		findings = append(findings, f)
	}
	return findings, nil
}

// classifyWheel decides on one wheel from its metadata, most precise first:
// a PEP 639 License-Expression, a License field that is an SPDX expression,
// the licence files the wheel ships, an "OSI Approved" trove classifier.
func classifyWheel(path string) (Finding, error) {
	archive, err := zip.OpenReader(path)
	if err != nil {
		return Finding{}, fmt.Errorf("%s: %w", path, err)
	}
	defer archive.Close()
	f := Finding{Source: "pypi:" + filepath.Base(path)}
	var metadata []byte
	var licenceFiles []*zip.File
	for _, file := range archive.File {
		dir, name := filepath.Split(file.Name)
		if !strings.Contains(dir, ".dist-info/") {
			continue
		}
		switch {
		case name == "METADATA":
			if metadata, err = readZipped(file); err != nil {
				return Finding{}, err
			}
		case strings.Contains(strings.ToUpper(name), "LICEN") || strings.Contains(strings.ToUpper(name), "COPYING"):
			licenceFiles = append(licenceFiles, file)
		}
	}
	fields := parseMetadata(metadata)
	f.Name, f.Version = first(fields["Name"]), first(fields["Version"])
	if expr := first(fields["License-Expression"]); expr != "" {
		f.Verdict = classifyExpression(expr)
		return f, nil
	}
	if declared := first(fields["License"]); declared != "" {
		if v := classifyExpression(declared); v.Open {
			f.Verdict = v
			return f, nil
		}
	}
	for _, file := range licenceFiles {
		text, err := readZipped(file)
		if err != nil {
			return Finding{}, err
		}
		f.Files = append(f.Files, file.Name)
		if v := classifyText(text); len(v.Licences) > 0 {
			f.Verdict = v
			return f, nil
		}
	}
	for _, c := range fields["Classifier"] {
		if name, ok := strings.CutPrefix(c, "License :: OSI Approved :: "); ok {
			f.Verdict = Verdict{Licences: []string{name}, Open: true}
			return f, nil
		}
	}
	f.Verdict = Verdict{Reason: "no licence expression, recognisable licence file or OSI-approved classifier in the wheel"}
	return f, nil
}

func readZipped(file *zip.File) ([]byte, error) {
	r, err := file.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// parseMetadata reads the header part of a core-metadata file (RFC 822
// style: "Key: value" lines, repeated keys kept in order, body ignored).
func parseMetadata(raw []byte) map[string][]string {
	fields := map[string][]string{}
	scanner := bufio.NewScanner(bytes.NewReader(raw))
	scanner.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for scanner.Scan() {
		line := scanner.Text()
		if line == "" {
			break // the description body follows
		}
		if key, value, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, " ") {
			fields[key] = append(fields[key], strings.TrimSpace(value))
		}
	}
	return fields
}

func first(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}
