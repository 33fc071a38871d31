"""One software registered with every active Brazilian bank that offers payments (payments-consents
v4, role CONTA), as the Open Finance Brasil directory lists them, in one `pulumi up`.

`obdcr.get_banks` lists (registers nothing): the selected banks, and every other entry with the
reasons it was left out. `obdcr.BankRegistrations` declares one `ClientRegistration` per selected
bank, named `payments-<AuthorisationServerId>`, and keeps that set in step with the list under a
change policy that is safe by default: a bank that leaves the list is kept (a warning names it),
and a directory that fails or a list that shrank fails the `up` before any bank is touched. The
last known list is kept in ob-dcr-state/ beside this file: keep it with the stack's sources.

Stack config: Pulumi.example.yaml. The signing key is provider configuration (`obdcr:`), never an
input; one directory token and one SSA download serve every bank.

Refresh with `pulumi refresh --yes --skip-preview`, never a plain `pulumi refresh` or `pulumi
preview --refresh`: an Open Finance Brasil server may rotate the registration access token on every
GET, and a preview's read is never saved, so the token in state is superseded and the next call
fails with OBDCR_GONE_UNCONFIRMED (docs/regime-ofb-br.md).
"""

import pulumi
import pulumi_obdcr as obdcr

config = pulumi.Config()
directory = config.require_object("directory")
software = config.require_object("software")
transport = config.require_object("transport")
redirect_uris = config.require_object("redirectUris")
list_url = config.get("listUrl")

# What every registration shares; each bank's discovery URL comes from the list.
registration = obdcr.RegistrationTemplateArgs(
    profile="ofb-br",
    directory=obdcr.DirectoryArgs(
        token_endpoint=directory["tokenEndpoint"],
        ssa_endpoint=directory["ssaEndpoint"],
        jwks_uri=directory["jwksUri"],
        client_id=directory.get("clientId"),
    ),
    software=obdcr.SoftwareArgs(software_id=software["softwareId"], org_id=software["orgId"]),
    signing_key=obdcr.SigningKeyArgs(kid=software["kid"], alg=software.get("alg", "PS256")),
    transport=obdcr.TransportArgs(
        cert_file=transport["certFile"],
        key_file=transport["keyFile"],
        ca_file=transport.get("caFile"),
    ),
    client=obdcr.ClientArgs(redirect_uris=redirect_uris),
)
payments = obdcr.BankFilterArgs(
    families=[obdcr.BankFilterFamiliesArgs(family="payments-consents", major=4)],
    roles=["CONTA"],
)

# The list alone, e.g. to review what an `up` would register.
listed = obdcr.get_banks_output(registration=registration, filter=payments, list_url=list_url)
pulumi.export("listed", listed.banks.apply(lambda banks: sorted(b.id for b in banks)))
pulumi.export(
    "excluded",
    listed.excluded.apply(lambda banks: {b.id: [x.code for x in b.excluded] for b in banks}),
)

banks = obdcr.BankRegistrations(
    "payments",
    registration=registration,
    filter=payments,
    list_url=list_url,
    # The defaults, spelled out: keep a bank that leaves the list, fail when the directory fails.
    policy=obdcr.BankChangePolicyArgs(on_missing="keep", on_directory_failure="fail"),
    # Per-bank inputs by AuthorisationServerId, merged over `registration`, e.g.:
    # overrides={"<AuthorisationServerId>": {"bankProfile": "<preset>"}},
)
pulumi.export("banks", banks.banks.apply(lambda bs: sorted(b.id for b in bs)))
pulumi.export("clientIds", banks.client_ids)
