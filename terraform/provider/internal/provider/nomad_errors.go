package provider

import (
	"errors"

	"github.com/hashicorp/nomad/api"
)

// isNotFound tells a 404 from Nomad (the object is gone) from every other failure.
func isNotFound(err error) bool {
	var unexpected api.UnexpectedResponseError
	if errors.As(err, &unexpected) {
		return unexpected.StatusCode() == 404
	}
	var unexpectedPtr *api.UnexpectedResponseError
	return errors.As(err, &unexpectedPtr) && unexpectedPtr.StatusCode() == 404
}

// configuredClients extracts what Configure stored; nil before configuration
// (validation runs before it, and then there is nothing to do yet).
func configuredClients(data any) (*clients, bool) {
	c, ok := data.(*clients)
	return c, ok && c != nil
}
