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
	// npm: node-vault's schema validator.
	"tv4@1.3.0": {"MIT",
		"dual-licensed: package.json \"license\": [{\"type\": \"Public Domain\"}, {\"type\": \"MIT\", \"url\": \"http://jsonary.com/LICENSE.txt\"}]; LICENSE.txt holds only the public-domain dedication"},
	// Vault v1.13.0's module graph (test/vault-server):
	"github.com/aliyun/aliyun-oss-go-sdk@v0.0.0-20190307165228-86c17b95fcd5": {"Apache-2.0",
		"no LICENSE file in this version; README.md, section License: \"Apache License 2.0.\""},
	"github.com/apache/arrow/go/arrow@v0.0.0-20210818145353-234c94e4ce64": {"Apache-2.0",
		"LICENSE.txt is Apache Arrow's Apache-2.0 licence followed by the notices of third-party code of the whole Arrow repository; the JSON License there covers only RapidJSON's bin/jsonchecker/ (C++), which is not in this Go module"},
	"github.com/hashicorp/cronexpr@v1.1.1": {"Apache-2.0",
		"dual-licensed: the licence files are named APLv2 (the Apache-2.0 text) and GPLv3; README.md: \"pick the one which suits you best\""},
	"github.com/xi2/xz@v0.0.0-20171230120015-48954b6210f8": {publicDomain,
		"LICENSE: \"All these files have been put into the public domain. You can do whatever you want with these files.\""},
	"github.com/munnerz/goautoneg@v0.0.0-20120707110453-a547fc61f48d": {"BSD-3-Clause",
		"no LICENSE file; README.txt carries the BSD 3-clause licence text (Copyright (c) 2011, Open Knowledge Foundation Ltd.). In OpenTofu's module graph via k8s.io/kube-openapi"},
}

// applyReviewed replaces the scanner's verdict for a reviewed dependency.
func applyReviewed(f *Finding) {
	entry, ok := reviewed[f.Name+"@"+f.Version]
	if !ok || f.Verdict.Open || !openSource[entry.Licence] {
		return
	}
	f.Verdict = Verdict{Licences: []string{entry.Licence}, Open: true, Recognised: true, Reason: "reviewed: " + entry.Evidence}
}
