// The Pulumi args are the core's zod input type in camelCase: checked by the compiler (`npm run
// check` typechecks this file), and the runtime expectations keep vitest honest.
import type * as pulumi from "@pulumi/pulumi";
import { describe, expectTypeOf, it } from "vitest";
import type { RegistrationParamsInput } from "../../provider/core/schemas/params.js";
import type { Camelize, RegistrationInputs } from "../../provider/resource/args.js";
import type { ObClientRegistrationArgs } from "../../provider/resource/registration.js";

describe("types: schema → camelCase args → Pulumi inputs", () => {
  it("camelCases field names, keeps claim maps and JWKs as they are", () => {
    type C = Camelize<{
      redirect_uris: string[];
      extra_claims: Record<string, unknown>;
      nested: { org_id: string };
    }>;
    expectTypeOf<C>().toEqualTypeOf<{
      redirectUris: string[];
      extraClaims: Record<string, unknown>;
      nested: { orgId: string };
    }>();
  });

  it("derives the resource inputs from the core's input type", () => {
    expectTypeOf<RegistrationInputs["profile"]>().toEqualTypeOf<RegistrationParamsInput["profile"]>();
    expectTypeOf<NonNullable<RegistrationInputs["client"]>>().toHaveProperty("redirectUris");
    expectTypeOf<NonNullable<RegistrationInputs["client"]>>().toHaveProperty("tokenEndpointAuthMethod");
    expectTypeOf<RegistrationInputs["signingKey"]>().toHaveProperty("privateKeyFile");
    expectTypeOf<RegistrationInputs["transport"]>().toHaveProperty("certFile");
    expectTypeOf<RegistrationInputs>().toHaveProperty("bankProfile");
    expectTypeOf<RegistrationInputs>().toHaveProperty("adopt");
  });

  it("accepts Outputs at any depth and refuses misspelt or mistyped fields", () => {
    const secretKey = {} as pulumi.Output<string>;
    const args: ObClientRegistrationArgs = {
      profile: "obie-3.2",
      bank: { discoveryUrl: {} as pulumi.Output<string>, orgId: "o" },
      directory: { softwareStatement: "a.b.c" },
      software: { softwareId: "s", orgId: "o" },
      signingKey: { kid: "k", privateKey: secretKey },
      transport: { certFile: "c.pem", keyFile: "k.pem" },
      client: { redirectUris: ["https://tpp.example/cb"], scope: "openid accounts" },
    };
    expectTypeOf(args).toMatchTypeOf<ObClientRegistrationArgs>();
    // @ts-expect-error: not a profile
    const badProfile: ObClientRegistrationArgs["profile"] = "obie-9";
    // @ts-expect-error: snake_case is the wire format, not the Pulumi args
    const snake: NonNullable<RegistrationInputs["client"]> = { redirect_uris: [] };
    // @ts-expect-error: an unknown auth method
    const method: NonNullable<RegistrationInputs["client"]>["tokenEndpointAuthMethod"] = "magic";
    void [badProfile, snake, method];
  });
});
