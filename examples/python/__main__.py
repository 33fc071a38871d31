"""One software registered with every bank listed in stack config, in one `pulumi up`.

Stack config (the same keys as examples/yaml), in Pulumi.<stack>.yaml:

    config:
      obdcr-python:directory:
        tokenEndpoint: https://…/as/token.oauth2
        ssaEndpoint: https://…/tpp/{org_id}/ssa/{software_id}   # the provider fills in both ids
        jwksUri: https://…/openbanking.jwks
      obdcr-python:software: {softwareId: …, orgId: …, kid: …}
      obdcr-python:transport: {certFile: transport.pem, keyFile: transport.key, caFile: ca.pem}
      obdcr-python:banks:
        - {name: bank-a, discoveryUrl: https://…/.well-known/openid-configuration, orgId: …}
        - {name: bank-b, discoveryUrl: …, orgId: …, bankProfile: hsbc}   # a preset, or an object:
        - {name: bank-c, discoveryUrl: …, orgId: …, bankProfile: {preset: hsbc, management: {scope: null}}}
      obdcr-python:redirectUris: [https://tpp.example.com/callback]

and the signing key as a secret: `pulumi config set --secret obdcr:signingPrivateKey < signing.key`.

Against the local sandbox (`npm run sandbox`), `node ../yaml/sandbox-config.mjs` sets all of it
from the sandbox's manifest.

The signing key is provider configuration (`obdcr:`): the provider reads it, so it is never a
resource input and never in this program. The transport key is read by the provider from its file;
only the path is in state. The provider process serves every registration of the stack, so one
directory token and one SSA download serve all the banks.
"""

import pulumi
import pulumi_obdcr as obdcr

config = pulumi.Config()
directory = config.require_object("directory")
software = config.require_object("software")
transport = config.require_object("transport")
banks = config.require_object("banks")
redirect_uris = config.require_object("redirectUris")

client_ids = {}
management_uris = {}
tokens = {}
for bank in banks:
    reg = obdcr.ClientRegistration(
        bank["name"],
        profile="obie-3.2",
        bank_profile=bank.get("bankProfile"),
        bank=obdcr.BankArgs(discovery_url=bank["discoveryUrl"], org_id=bank["orgId"]),
        directory=obdcr.DirectoryArgs(
            token_endpoint=directory["tokenEndpoint"],
            ssa_endpoint=directory["ssaEndpoint"],
            jwks_uri=directory["jwksUri"],
        ),
        software=obdcr.SoftwareArgs(software_id=software["softwareId"], org_id=software["orgId"]),
        signing_key=obdcr.SigningKeyArgs(kid=software["kid"], alg=software.get("alg", "PS256")),
        transport=obdcr.TransportArgs(
            cert_file=transport["certFile"],
            key_file=transport["keyFile"],
            ca_file=transport.get("caFile"),
        ),
        client=obdcr.ClientArgs(
            redirect_uris=redirect_uris,
            scope=bank.get("scope", "openid accounts"),
            token_endpoint_auth_method="private_key_jwt",
        ),
    )
    client_ids[bank["name"]] = reg.client_id
    management_uris[bank["name"]] = reg.management_uri
    # Issued by RFC 7592 banks only (None elsewhere); a secret output, stored encrypted.
    tokens[bank["name"]] = reg.registration_access_token

pulumi.export("clientIds", client_ids)
pulumi.export("managementUris", management_uris)
pulumi.export("registrationAccessTokens", tokens)
