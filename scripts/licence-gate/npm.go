package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type lockFile struct {
	LockfileVersion int                        `json:"lockfileVersion"`
	Packages        map[string]json.RawMessage `json:"packages"`
}

type lockPackage struct {
	Version string          `json:"version"`
	License json.RawMessage `json:"license"`
	Link    bool            `json:"link"`
}

// checkNpmLock classifies every package in an npm lock file (v2/v3): by the
// SPDX expression the lock records, or, where it records none, by the
// licence files of the installed package (node_modules next to the lock).
func checkNpmLock(lockPath string) ([]Finding, error) {
	raw, err := os.ReadFile(lockPath)
	if err != nil {
		return nil, err
	}
	var lock lockFile
	if err := json.Unmarshal(raw, &lock); err != nil {
		return nil, fmt.Errorf("%s: not a package-lock.json: %w", lockPath, err)
	}
	if lock.LockfileVersion < 2 {
		return nil, fmt.Errorf("%s: lockfileVersion %d has no per-package licences; regenerate with npm >= 7", lockPath, lock.LockfileVersion)
	}
	root := filepath.Dir(lockPath)
	keys := make([]string, 0, len(lock.Packages))
	for k := range lock.Packages {
		if k != "" { // "" is the project itself
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var findings []Finding
	for _, key := range keys {
		var pkg lockPackage
		if err := json.Unmarshal(lock.Packages[key], &pkg); err != nil {
			return nil, fmt.Errorf("%s: package %s: %w", lockPath, key, err)
		}
		if pkg.Link {
			continue // a workspace link: its target is listed under its own key
		}
		f := Finding{Source: "npm:" + lockPath, Name: packageName(key), Version: pkg.Version}
		f.Verdict, f.Files = classifyNpmPackage(filepath.Join(root, key), declaredLicence(pkg.License))
		findings = append(findings, f)
	}
	return findings, nil
}

// packageName turns "node_modules/a/node_modules/@s/b" into "@s/b".
func packageName(key string) string {
	i := strings.LastIndex(key, "node_modules/")
	if i < 0 {
		return key
	}
	return key[i+len("node_modules/"):]
}

// declaredLicence accepts the forms package.json has used: a string, or the
// deprecated {type} object.
func declaredLicence(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct{ Type string }
	if json.Unmarshal(raw, &obj) == nil {
		return obj.Type
	}
	return ""
}

func classifyNpmPackage(dir, declared string) (Verdict, []string) {
	if declared != "" && !strings.HasPrefix(strings.ToUpper(declared), "SEE LICEN") && !strings.EqualFold(declared, "UNLICENSED") {
		return classifyExpression(declared), nil
	}
	if strings.EqualFold(declared, "UNLICENSED") {
		return Verdict{Reason: "declared UNLICENSED (proprietary)"}, nil
	}
	// No expression, or "SEE LICENSE IN <file>": read what the package ships.
	if _, err := os.Stat(dir); err != nil {
		return Verdict{Reason: "no licence in the lock file and the package is not installed to read one"}, nil
	}
	if file, ok := strings.CutPrefix(declared, "SEE LICENSE IN "); ok {
		text, err := os.ReadFile(filepath.Join(dir, strings.TrimSpace(file)))
		if err != nil {
			return Verdict{Reason: "declared " + declared + " but the file cannot be read"}, nil
		}
		return classifyText(text), []string{file}
	}
	return classifyDir(dir)
}
