//go:build tools

// Keeps the Go language host's main package in this module's build list for `go mod tidy`.
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go"
