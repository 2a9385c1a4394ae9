package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeWheel makes a wheel with the given METADATA header lines and extra
// dist-info files, as pip would download it.
func writeWheel(t *testing.T, name string, metadata []string, files map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+"-1.0.0-py3-none-any.whl")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := zip.NewWriter(out)
	add := func(file, text string) {
		f, err := w.Create(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(text)); err != nil {
			t.Fatal(err)
		}
	}
	header := append([]string{"Metadata-Version: 2.4", "Name: " + name, "Version: 1.0.0"}, metadata...)
	add(name+"-1.0.0.dist-info/METADATA", strings.Join(header, "\n")+"\n\nThe description, where License: lines mean nothing.\n")
	for file, text := range files {
		add(name+"-1.0.0.dist-info/"+file, text)
	}
	add(name+"/__init__.py", "")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWheelLicences(t *testing.T) {
	cases := []struct {
		name     string
		metadata []string
		files    map[string]string
		open     bool
		licence  string
	}{
		{"expression", []string{"License-Expression: Apache-2.0 WITH LLVM-exception"}, nil, true, "Apache-2.0"},
		{"busl-expression", []string{"License-Expression: BUSL-1.1"}, nil, false, "BUSL-1.1"},
		{"busl-file", []string{"License: Business Source License"}, map[string]string{"licenses/LICENSE": read(t, "testdata/BUSL-LICENSE")}, false, ""},
		{"mit-file", []string{"License: see file"}, map[string]string{"licenses/LICENSE": read(t, "testdata/MIT-LICENSE")}, true, "MIT"},
		{"classifier", []string{"Classifier: License :: OSI Approved :: MIT License"}, nil, true, "MIT License"},
		{"proprietary", []string{"Classifier: License :: Other/Proprietary License"}, nil, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := classifyWheel(writeWheel(t, c.name, c.metadata, c.files))
			if err != nil {
				t.Fatal(err)
			}
			if f.Name != c.name || f.Version != "1.0.0" {
				t.Errorf("named %q %q, want %q 1.0.0", f.Name, f.Version, c.name)
			}
			if f.Verdict.Open != c.open {
				t.Errorf("open = %v, want %v (verdict %+v)", f.Verdict.Open, c.open, f.Verdict)
			}
			if c.licence != "" && !strings.Contains(strings.Join(f.Verdict.Licences, " "), c.licence) {
				t.Errorf("licences %v, want %s", f.Verdict.Licences, c.licence)
			}
		})
	}
}

// The gate's report names a PyPI package that is not open source.
func TestReportNamesANonOpenWheel(t *testing.T) {
	f, err := classifyWheel(writeWheel(t, "sourceavailable", []string{"License-Expression: BUSL-1.1"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	report := &Report{}
	report.add("pypi:sourceavailable==1.0.0", []Finding{f})
	var out strings.Builder
	report.print(&out, false)
	if !strings.Contains(out.String(), "NOT OPEN SOURCE: sourceavailable 1.0.0 [pypi:") {
		t.Errorf("report does not name the package:\n%s", out.String())
	}
}
