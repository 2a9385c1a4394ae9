package provider

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// diagnosticsAppender is what helpers need of resp.Diagnostics.
type diagnosticsAppender interface {
	AddError(summary, detail string)
	AddAttributeError(p path.Path, summary, detail string)
	AddWarning(summary, detail string)
}

var _ diagnosticsAppender = &diag.Diagnostics{}

type durationValidator struct{}

func (durationValidator) Description(context.Context) string {
	return "a Go duration such as 10s or 1m30s"
}
func (v durationValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}
func (durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if d, err := time.ParseDuration(req.ConfigValue.ValueString()); err != nil || d <= 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration", fmt.Sprintf("%q is not a positive duration such as 10s or 1m30s", req.ConfigValue.ValueString()))
	}
}

type mapKeysValidator struct {
	pattern *regexp.Regexp
	message string
}

func mapKeysMatch(pattern *regexp.Regexp, message string) validator.Map {
	return mapKeysValidator{pattern: pattern, message: message}
}

func (v mapKeysValidator) Description(context.Context) string { return "keys " + v.message }
func (v mapKeysValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}
func (v mapKeysValidator) ValidateMap(_ context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for key := range req.ConfigValue.Elements() {
		if !v.pattern.MatchString(key) {
			resp.Diagnostics.AddAttributeError(req.Path.AtMapKey(key), "Invalid key", fmt.Sprintf("%q %s", key, v.message))
		}
	}
}
