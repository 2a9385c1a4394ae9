package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The component checks are the driver's own code: the provider runs
// `nomad-wasm inspect|verify --json` rather than re-implementing OCI pulls,
// WIT parsing and signature verification in Go.

// inspectReport is `nomad-wasm inspect --json`.
type inspectReport struct {
	Reference          string   `json:"reference"`
	Digest             string   `json:"digest"`
	ManifestDigest     string   `json:"manifestDigest"`
	SizeBytes          int64    `json:"sizeBytes"`
	World              string   `json:"world"`
	Imports            []string `json:"imports"`
	Exports            []string `json:"exports"`
	UnsupportedImports []string `json:"unsupportedImports"`
	Grants             []string `json:"grants"`
}

// verifyReport is `nomad-wasm verify --json`: a verdict either way.
type verifyReport struct {
	Verified bool   `json:"verified"`
	Digest   string `json:"digest"`
	SignedBy string `json:"signedBy"`
	Signer   struct {
		Kind           string `json:"kind"`
		KeyFingerprint string `json:"keyFingerprint"`
		Issuer         string `json:"issuer"`
		Subject        string `json:"subject"`
	} `json:"signer"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// registryAccess is how the CLI reaches the registry; the password travels
// in the environment, never on a command line.
type registryAccess struct {
	insecure bool
	username string
	password string
}

func (r registryAccess) flags() []string {
	var out []string
	if r.insecure {
		out = append(out, "--insecure")
	}
	if r.username != "" {
		out = append(out, "--username", r.username)
	}
	return out
}

type cliError struct {
	command string
	stderr  string
	err     error
}

func (e *cliError) Error() string {
	return fmt.Sprintf("%s: %v: %s", e.command, e.err, strings.TrimSpace(e.stderr))
}

func runCLI(ctx context.Context, cli string, access registryAccess, args ...string) (stdout []byte, exitErr error) {
	cmd := exec.CommandContext(ctx, cli, append(args, access.flags()...)...)
	cmd.Env = append(os.Environ(), "NOMAD_WASM_REGISTRY_PASSWORD="+access.password)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.Bytes(), &cliError{command: "nomad-wasm " + args[0], stderr: errOut.String(), err: err}
	}
	return out.Bytes(), nil
}

func inspectComponent(ctx context.Context, cli, ref string, access registryAccess) (*inspectReport, error) {
	// inspect exits 1 for a component with unsupported imports but still
	// prints its report: the caller turns that into a plan error.
	stdout, err := runCLI(ctx, cli, access, "inspect", ref, "--json")
	var report inspectReport
	if jsonErr := json.Unmarshal(stdout, &report); jsonErr != nil || report.Digest == "" {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("nomad-wasm inspect printed no JSON report: %v", jsonErr)
	}
	return &report, nil
}

// verifyComponent checks ref against PEM public keys under enforce, the
// way the driver admits a component on a node.
func verifyComponent(ctx context.Context, cli, ref string, keys []string, access registryAccess) (*verifyReport, error) {
	dir, err := os.MkdirTemp("", "nomadwasm-keys-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	args := []string{"verify", ref, "--json"}
	for i, key := range keys {
		file := filepath.Join(dir, fmt.Sprintf("key-%d.pub", i))
		if err := os.WriteFile(file, []byte(key), 0o600); err != nil {
			return nil, err
		}
		args = append(args, "--key", file)
	}
	stdout, runErr := runCLI(ctx, cli, access, args...)
	var report verifyReport
	if jsonErr := json.Unmarshal(stdout, &report); jsonErr != nil {
		if runErr != nil {
			return nil, runErr
		}
		return nil, fmt.Errorf("nomad-wasm verify printed no JSON verdict: %v", jsonErr)
	}
	return &report, nil
}
