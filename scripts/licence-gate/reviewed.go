package main

// reviewed holds dependencies whose licence the scanner cannot decide from
// their licence files, read by a person instead. Keyed by module@version, so
// a new version is scanned (and, if need be, reviewed) again. An entry can
// only name an open-source licence; it records where the licence was found.
var reviewed = map[string]struct{ Licence, Evidence string }{
	"github.com/hashicorp/vic@v1.5.1-0.20190403131502-bbfe86ec9443": {"Apache-2.0",
		"LICENSE is VMware's Apache-2.0 licence followed by the licences of the ~50 third-party projects it bundles"},
	"github.com/kr/logfmt@v0.0.0-20140226030751-b84e30acd515": {"MIT", "no LICENSE file; the MIT licence text is in its Readme"},
	"github.com/tj/go-spin@v1.1.0":                            {"MIT", "no LICENSE file; Readme.md: \"# License  MIT\""},
	"github.com/bmizerany/assert@v0.0.0-20160611221934-b7ed37b82869": {"MIT",
		"no LICENSE file; README.md: \"(c) Blake Mizerany and Keith Rarick -- MIT LICENCE\""},
	"github.com/garyburd/redigo@v0.0.0-20150301180006-535138d7bcd7": {"Apache-2.0",
		"no LICENSE file; README.markdown: \"Redigo is available under the Apache License, Version 2.0\""},
	"github.com/pascaldekloe/goe@v0.1.0": {"CC0-1.0", "LICENSE is the short form of the CC0 public-domain dedication, with its URL"},
	"github.com/chzyer/logex@v1.1.10": {"MIT",
		"this version states no licence; v1.2.1 of the same repository by the same author is MIT. Only in the module graph: `go mod why -m` finds nothing that needs it"},
}

// applyReviewed replaces the scanner's verdict for a reviewed dependency.
func applyReviewed(f *Finding) {
	entry, ok := reviewed[f.Name+"@"+f.Version]
	if !ok || f.Verdict.Open || !openSource[entry.Licence] {
		return
	}
	f.Verdict = Verdict{Licences: []string{entry.Licence}, Open: true, Recognised: true, Reason: "reviewed: " + entry.Evidence}
}
