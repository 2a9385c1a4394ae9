package main

import (
	"regexp"
	"sort"
	"strings"

	"github.com/google/licensecheck"
)

// openSource lists the licences we accept: OSI-approved open-source
// licences (SPDX ids as licensecheck and npm report them). Anything else,
// including source-available licences such as the Business Source License
// that HashiCorp moved Nomad (>= 1.7), Consul (>= 1.16.4), Vault (>= 1.14.9)
// and Terraform (>= 1.6) to, fails the gate.
var openSource = map[string]bool{
	"0BSD": true, "AFL-3.0": true, "AGPL-3.0": true, "Apache-2.0": true, "Artistic-2.0": true,
	"BlueOak-1.0.0": true, "BSD-1-Clause": true, "BSD-2-Clause": true, "BSD-2-Clause-FreeBSD": true,
	"BSD-3-Clause": true, "BSL-1.0": true, "CC0-1.0": true, "EPL-1.0": true, "EPL-2.0": true,
	"GPL-2.0": true, "GPL-3.0": true, "ISC": true, "LGPL-2.1": true, "LGPL-3.0": true, "MIT": true,
	"MIT-0": true, "MPL-1.1": true, "MPL-2.0": true, "MPL-2.0-no-copyleft-exception": true,
	"MS-PL": true, "NCSA": true, "OpenSSL": true, "PostgreSQL": true, "Python-2.0": true,
	"Unlicense": true, "UPL-1.0": true, "W3C": true, "Zlib": true,
	"AFL-1.1": true, "AFL-1.2": true, "AFL-2.0": true, "AFL-2.1": true, "OSL-1.1": true, "OSL-3.0": true,
	publicDomain: true, "HPND": true, "Unicode-DFS-2016": true, "Unicode-3.0": true, "BSD-2-Clause-Views": true,
	// Open content licences: modules ship them for their documentation
	// (LICENSE.docs beside the code's LICENSE); they allow commercial use
	// and modification. The NonCommercial and NoDerivatives variants do not.
	"CC-BY-3.0": true, "CC-BY-4.0": true, "CC-BY-SA-3.0": true, "CC-BY-SA-4.0": true,
	// The SIL Open Font License 1.1 is OSI-approved; fonts in Jaeger's module
	// graph (codeberg.org/go-fonts/liberation, for plots) carry it.
	"OFL-1.1": true,
}

// publicDomain is what reviewed entries name for code dedicated to the
// public domain without a standard text (CC0 and the Unlicense have ids).
const publicDomain = "public-domain"

// additions are grants that only ever come beside a licence (Go's PATENTS
// file): they neither make a module open source nor keep it from being.
var additions = map[string]bool{"GooglePatentClause": true, "GooglePatentsFile": true}

// SPDX-ish spellings npm packages and licensecheck use for the same licence.
var aliases = map[string]string{
	"Apache 2.0": "Apache-2.0", "Apache2": "Apache-2.0", "BSD": "BSD-3-Clause", "MIT/X11": "MIT",
	"GPL-2.0-only": "GPL-2.0", "GPL-2.0-or-later": "GPL-2.0", "GPL-3.0-only": "GPL-3.0",
	"GPL-3.0-or-later": "GPL-3.0", "LGPL-2.1-only": "LGPL-2.1", "LGPL-2.1-or-later": "LGPL-2.1",
	"LGPL-3.0-only": "LGPL-3.0", "LGPL-3.0-or-later": "LGPL-3.0", "AGPL-3.0-only": "AGPL-3.0",
	"AGPL-3.0-or-later": "AGPL-3.0", "BSD-3-Clause-Clear": "BSD-3-Clause",
}

func canonical(id string) string {
	id = strings.TrimSpace(id)
	if a, ok := aliases[id]; ok {
		return a
	}
	return id
}

// Verdict is what the gate concluded about one licence text or expression.
type Verdict struct {
	Licences   []string // what was found, canonical ids
	Open       bool
	Recognised bool   // the text is a licence we identified, open or not
	Unbuilt    bool   // no readable licence, but only in the module graph (see excuseUnbuilt)
	Reason     string // why it is not open source, or why it passes anyway
}

// The Business Source License is not in licensecheck's set; it is the one
// this gate exists for, so it is recognised by its own name first.
var busl = regexp.MustCompile(`(?i)business\s+source\s+license(\s+\d+(\.\d+)?)?`)

// minCoverage: below this share of a licence file's words matching known
// licences, the file is treated as unrecognised rather than guessed at.
const minCoverage = 75

// classifyText decides on the text of a licence file.
func classifyText(text []byte) Verdict {
	if busl.Match(text) {
		return Verdict{Licences: []string{"BUSL-1.1"}, Recognised: true, Reason: "Business Source License (source-available, not open source)"}
	}
	cov := licensecheck.Scan(text)
	ids := map[string]bool{}
	for _, m := range cov.Match {
		if id := canonical(m.ID); !additions[id] {
			ids[id] = true
		}
	}
	found := sortedKeys(ids)
	if len(found) == 0 || cov.Percent < minCoverage {
		return Verdict{Licences: found, Reason: "licence text not recognised"}
	}
	for _, id := range found {
		if !openSource[id] {
			return Verdict{Licences: found, Recognised: true, Reason: id + " is not an open-source licence"}
		}
	}
	return Verdict{Licences: found, Open: true, Recognised: true}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
