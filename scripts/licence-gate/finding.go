package main

// Finding is the gate's verdict on one dependency.
type Finding struct {
	Source     string // "go:<module dir>", "npm:<lock file>" or "pypi:<wheel file>"
	Name       string
	Version    string
	ReplacedBy string   // Go: the replacement that is actually built
	Built      bool     // Go: compiled into something this repository builds or tests
	Files      []string // licence files read, if any
	Verdict    Verdict
	key        string
}

func (f Finding) label() string {
	s := f.Name
	if f.Version != "" {
		s += " " + f.Version
	}
	if f.ReplacedBy != "" {
		s += " (replaced by " + f.ReplacedBy + ")"
	}
	return s
}
