/**
 * What a signing key the directory does not publish must never cause, counted at the sandbox: a
 * directory token request (signed with the key), an SSA download, or any request that changes
 * something at a bank. GETs of public documents (JWKS, discovery: the plugin prefetches those at
 * check) are not counted.
 */
export const signedOrWrites = (routes: Record<string, number>): number =>
  Object.entries(routes)
    .filter(([route]) => !route.startsWith("GET ") || /\/ssa\//.test(route))
    .reduce((a, [, n]) => a + n, 0);

/** GETs of a software JWKS (`/keystore/{org_id}/{name}.jwks`): the up-front check reads it. */
export const softwareJwksReads = (routes: Record<string, number>): number =>
  routes["GET /keystore/{org_id}/{name}.jwks"] ?? 0;
