// obdcr-gen-sdk writes a Pulumi package's nodejs, python or go SDK from its schema.json, offline.
//
//	obdcr-gen-sdk --schema schema.json --language nodejs|python|go --out DIR
//
// Why not `pulumi package gen-sdk`: CLI 3.260 delegates SDK generation to the language host's
// GeneratePackage RPC, and the 3.68 hosts that setup builds (the newest the module proxy serves)
// answer "method GeneratePackage not implemented". This calls the same code generators of
// pkg/v3 (the CLI's own version, pinned by ../go.mod) directly. Part of the obdcr.local/pulumi-cli
// module on purpose: it shares that go.mod/go.sum, so `-mod=readonly` builds it with no new pins.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// buildID is set by scripts/setup.mjs (-X main.buildID=…) so that it can tell a stale binary.
var buildID = "dev"

const tool = "obdcr-gen-sdk"

// noLoader refuses references to other packages: this generator runs offline and a schema of ours
// references none. BindSpec and the generators need a non-nil loader.
type noLoader struct{}

func (noLoader) refuse(name string) error {
	return fmt.Errorf("the schema references package %q: references to other packages are not supported", name)
}

func (l noLoader) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, l.refuse(pkg)
}

func (l noLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, l.refuse(d.Name)
}

func (l noLoader) LoadPackageReference(pkg string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, l.refuse(pkg)
}

func (l noLoader) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, l.refuse(d.Name)
}

func main() {
	schemaPath := flag.String("schema", "", "path of the package's schema.json")
	language := flag.String("language", "", "nodejs, python or go")
	out := flag.String("out", "", "directory to write the SDK into (created; existing files are overwritten)")
	version := flag.Bool("version", false, "print the build id and exit")
	flag.Parse()
	if *version {
		fmt.Println(tool, buildID)
		return
	}
	if err := run(*schemaPath, *language, *out); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", tool, err)
		os.Exit(1)
	}
}

func run(schemaPath, language, out string) error {
	if schemaPath == "" || out == "" || (language != "nodejs" && language != "python" && language != "go") {
		return errors.New("usage: obdcr-gen-sdk --schema FILE --language nodejs|python|go --out DIR")
	}
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s is not a package schema: %w", schemaPath, err)
	}
	loader := noLoader{}
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{})
	if err != nil {
		return fmt.Errorf("binding %s: %w", schemaPath, err)
	}
	if diags.HasErrors() {
		return fmt.Errorf("%s is not valid: %s", schemaPath, diags.Error())
	}
	var files map[string][]byte
	switch language {
	case "nodejs":
		files, err = nodejs.GeneratePackage(tool, pkg, nil, nil, false, loader)
	case "python":
		files, err = python.GeneratePackage(tool, pkg, nil, loader)
	case "go":
		// File names are relative to the SDK's root: <package name>/*.go (the import path is the
		// schema's language.go.importBasePath); the go.mod is the caller's (scripts/gen_sdk.ts).
		files, err = gogen.GeneratePackage(tool, pkg, nil)
	}
	if err != nil {
		return fmt.Errorf("generating the %s SDK: %w", language, err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(out, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "%s: wrote %d files of the %s SDK into %s\n", tool, len(names), language, out)
	return nil
}
