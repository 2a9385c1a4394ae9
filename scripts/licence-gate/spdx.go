package main

import (
	"fmt"
	"strings"
)

// classifyExpression decides on an SPDX licence expression, as npm
// packages declare them: "MIT", "(MIT OR Apache-2.0)",
// "Apache-2.0 WITH LLVM-exception", "BSD-3-Clause AND MIT".
// OR needs one open-source side, AND needs both; an exception (WITH)
// only adds permissions.
func classifyExpression(expr string) Verdict {
	p := &spdxParser{tokens: tokenize(expr)}
	ids, open, err := p.parseOr()
	if err == nil && p.pos != len(p.tokens) {
		err = fmt.Errorf("unexpected %q", p.tokens[p.pos])
	}
	if err != nil {
		return Verdict{Reason: fmt.Sprintf("licence expression %q not understood: %v", expr, err)}
	}
	if !open {
		return Verdict{Licences: ids, Reason: fmt.Sprintf("%q is not an open-source licence", expr)}
	}
	return Verdict{Licences: ids, Open: true}
}

func tokenize(expr string) []string {
	expr = strings.NewReplacer("(", " ( ", ")", " ) ").Replace(expr)
	return strings.Fields(expr)
}

type spdxParser struct {
	tokens []string
	pos    int
}

func (p *spdxParser) peek() string {
	if p.pos < len(p.tokens) {
		return p.tokens[p.pos]
	}
	return ""
}

func (p *spdxParser) parseOr() ([]string, bool, error) {
	ids, open, err := p.parseAnd()
	for err == nil && strings.EqualFold(p.peek(), "OR") {
		p.pos++
		var more []string
		var moreOpen bool
		more, moreOpen, err = p.parseAnd()
		ids, open = append(ids, more...), open || moreOpen
	}
	return ids, open, err
}

func (p *spdxParser) parseAnd() ([]string, bool, error) {
	ids, open, err := p.parseTerm()
	for err == nil && strings.EqualFold(p.peek(), "AND") {
		p.pos++
		var more []string
		var moreOpen bool
		more, moreOpen, err = p.parseTerm()
		ids, open = append(ids, more...), open && moreOpen
	}
	return ids, open, err
}

func (p *spdxParser) parseTerm() ([]string, bool, error) {
	tok := p.peek()
	switch {
	case tok == "":
		return nil, false, fmt.Errorf("expression ends early")
	case tok == "(":
		p.pos++
		ids, open, err := p.parseOr()
		if err != nil {
			return nil, false, err
		}
		if p.peek() != ")" {
			return nil, false, fmt.Errorf("missing )")
		}
		p.pos++
		return ids, open, nil
	}
	p.pos++
	id := canonical(strings.TrimSuffix(tok, "+"))
	if strings.EqualFold(p.peek(), "WITH") {
		p.pos += 2 // the exception name
	}
	return []string{id}, openSource[id], nil
}
