terraform {
  # Provider-free: only built-in functions. Tested with OpenTofu 1.10.10.
  required_version = ">= 1.6.0"
}
