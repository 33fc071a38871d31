/**
 * `iss` and `aud` of a signed registration answer (`application/jwt`, RFC 7591 §3.2.1 lets the
 * server answer with a JWT; UK banks do). No spec fixes the claims of the answer: the UK swagger
 * reuses the request schema (so `iss`/`aud` look required), and real answers mostly omit them. So
 * an absent claim is accepted; a present one must say the answer is the bank's, for us:
 * - `iss`: the bank's issuer (discovery `issuer`, RFC 8414 §3.3: compared exactly);
 * - `aud`: one of ours (the software_id, our request's `iss`, the client_id), as a string or a list.
 * A bank that echoes our request's claims (`iss` = our request's `iss`, `aud` = our request's `aud`)
 * is accepted too: it says the same, from our side.
 */

export interface SignedAnswerExpectation {
  /** The bank's issuer; without one `iss` is not compared. */
  issuer?: string | undefined;
  /** Who we are to the bank: the software_id, our request's `iss`, the client_id when known. */
  audiences: readonly (string | undefined)[];
  /** Our request's `iss` and `aud`, for an answer that echoes them. */
  request?: { iss?: string | undefined; aud?: string | undefined } | undefined;
}

export interface SignedAnswerProblem {
  claim: "iss" | "aud";
  /** What is wrong, bank text not included (the caller quotes it escaped). */
  problem: string;
}

const audList = (aud: unknown): string[] | undefined =>
  typeof aud === "string"
    ? [aud]
    : Array.isArray(aud) && aud.every((a) => typeof a === "string")
      ? (aud as string[])
      : undefined;

/** The first problem with the answer's `iss`/`aud`, or undefined when both are acceptable. */
export function signedAnswerProblem(
  claims: unknown,
  e: SignedAnswerExpectation,
): SignedAnswerProblem | undefined {
  if (!claims || typeof claims !== "object" || Array.isArray(claims)) return undefined;
  const c = claims as Record<string, unknown>;
  const iss = c.iss;
  const aud = c.aud === undefined ? undefined : audList(c.aud);
  if (iss !== undefined && typeof iss !== "string") return { claim: "iss", problem: "is not a string" };
  if (c.aud !== undefined && aud === undefined)
    return { claim: "aud", problem: "is not a string or a list of strings" };
  // The echo of our own request: its iss is ours, its aud the bank's.
  const echo =
    e.request?.iss !== undefined &&
    e.request.aud !== undefined &&
    iss === e.request.iss &&
    aud?.includes(e.request.aud) === true;
  if (echo) return undefined;
  if (iss !== undefined && e.issuer !== undefined && iss !== e.issuer)
    return { claim: "iss", problem: `is not the bank's issuer ${e.issuer}` };
  const ours = new Set(e.audiences.filter((a): a is string => typeof a === "string" && a !== ""));
  if (typeof c.client_id === "string") ours.add(c.client_id);
  if (aud !== undefined && ours.size > 0 && !aud.some((a) => ours.has(a)))
    return { claim: "aud", problem: `names none of ours (${[...ours].join(", ")})` };
  return undefined;
}
