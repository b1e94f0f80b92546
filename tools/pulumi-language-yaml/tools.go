//go:build tools

// Package tools pins the Pulumi YAML language host so `go build` can build it from this module.
package tools

import _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
