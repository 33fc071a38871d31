// One software registered with every bank listed in stack config, in one `pulumi up`, through the
// obdcr provider plugin and its Go SDK.
//
// Stack config (the same keys as examples/python and examples/yaml), in Pulumi.<stack>.yaml:
//
//	config:
//	  obdcr-go:directory:
//	    tokenEndpoint: https://…/as/token.oauth2
//	    ssaEndpoint: https://…/tpp/{org_id}/ssa/{software_id}   # the provider fills in both ids
//	    jwksUri: https://…/openbanking.jwks
//	  obdcr-go:software: {softwareId: …, orgId: …, kid: …}
//	  obdcr-go:transport: {certFile: transport.pem, keyFile: transport.key, caFile: ca.pem}
//	  obdcr-go:banks:
//	    - {name: bank-a, discoveryUrl: https://…/.well-known/openid-configuration, orgId: …}
//	    - {name: bank-b, discoveryUrl: …, orgId: …, bankProfile: hsbc}   # a preset, or an object:
//	    - {name: bank-c, discoveryUrl: …, orgId: …, bankProfile: {preset: hsbc, management: {scope: null}}}
//	  obdcr-go:redirectUris: [https://tpp.example.com/callback]
//
// and the signing key as a secret: `pulumi config set --secret obdcr:signingPrivateKey < signing.key`.
// Against the local sandbox (`npm run sandbox`), `node ../yaml/sandbox-config.mjs` sets all of it
// from the sandbox's manifest.
//
// The signing key is provider configuration (`obdcr:`): the provider reads it, so it is never a
// resource input and never in this program. The transport key is read by the provider from its
// file; only the path is in state. The provider process serves every registration of the stack, so
// one directory token and one SSA download serve all the banks.
package main

import (
	"fmt"

	"github.com/ob-dcr/ob-dcr/sdk/go/obdcr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

type directory struct {
	TokenEndpoint string `json:"tokenEndpoint"`
	SsaEndpoint   string `json:"ssaEndpoint"`
	JwksURI       string `json:"jwksUri"`
}

type software struct {
	SoftwareID string `json:"softwareId"`
	OrgID      string `json:"orgId"`
	Kid        string `json:"kid"`
	Alg        string `json:"alg"`
}

type transport struct {
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
	CaFile   string `json:"caFile"`
}

type bank struct {
	Name         string `json:"name"`
	DiscoveryURL string `json:"discoveryUrl"`
	OrgID        string `json:"orgId"`
	// A preset name ("hsbc"), or a whole profile object: a preset plus overrides, or overrides
	// alone, camelCase keys (docs/bank-profiles.md), e.g. {preset: hsbc, management: {scope: null}}.
	BankProfile any    `json:"bankProfile"`
	Scope       string `json:"scope"`
}

// optional is a string input, or nil (the schema default) when the config leaves it out.
func optional(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		conf := config.New(ctx, "")
		var dir directory
		var sw software
		var tr transport
		var banks []bank
		var redirectURIs []string
		conf.RequireObject("directory", &dir)
		conf.RequireObject("software", &sw)
		conf.RequireObject("transport", &tr)
		conf.RequireObject("banks", &banks)
		conf.RequireObject("redirectUris", &redirectURIs)

		clientIDs := pulumi.StringMap{}
		managementURIs := pulumi.StringMap{}
		tokens := pulumi.Map{}
		for _, b := range banks {
			args := &obdcr.ClientRegistrationArgs{
				Profile: pulumi.String("obie-3.2"),
				Bank: obdcr.BankArgs{
					DiscoveryUrl: pulumi.String(b.DiscoveryURL),
					OrgId:        pulumi.String(b.OrgID),
				},
				Directory: obdcr.DirectoryArgs{
					TokenEndpoint: pulumi.String(dir.TokenEndpoint),
					SsaEndpoint:   pulumi.String(dir.SsaEndpoint),
					JwksUri:       pulumi.String(dir.JwksURI),
				},
				Software: obdcr.SoftwareArgs{
					SoftwareId: pulumi.String(sw.SoftwareID),
					OrgId:      pulumi.String(sw.OrgID),
				},
				SigningKey: obdcr.SigningKeyArgs{
					Kid: pulumi.String(sw.Kid),
					Alg: pulumi.String(or(sw.Alg, "PS256")),
				},
				Transport: obdcr.TransportArgs{
					CertFile: pulumi.String(tr.CertFile),
					KeyFile:  pulumi.String(tr.KeyFile),
					CaFile:   optional(tr.CaFile),
				},
				Client: obdcr.ClientArgs{
					RedirectUris:            pulumi.ToStringArray(redirectURIs),
					Scope:                   pulumi.String(or(b.Scope, "openid accounts")),
					TokenEndpointAuthMethod: pulumi.String("private_key_jwt"),
				},
			}
			switch p := b.BankProfile.(type) {
			case nil:
			case string:
				if p != "" {
					args.BankProfile = pulumi.String(p)
				}
			case map[string]any:
				args.BankProfile = pulumi.ToMap(p)
			default:
				return fmt.Errorf("banks: %s: bankProfile is a preset name or an object, not %T", b.Name, p)
			}
			reg, err := obdcr.NewClientRegistration(ctx, b.Name, args)
			if err != nil {
				return err
			}
			clientIDs[b.Name] = reg.ClientId
			managementURIs[b.Name] = reg.ManagementUri
			// Issued by RFC 7592 banks only (null elsewhere); a secret output, stored encrypted.
			tokens[b.Name] = reg.RegistrationAccessToken
		}
		ctx.Export("clientIds", clientIDs)
		ctx.Export("managementUris", managementURIs)
		ctx.Export("registrationAccessTokens", tokens)
		return nil
	})
}
