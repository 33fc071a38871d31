// Test-only preload for the CLI subprocess (NODE_OPTIONS=--require): appends every HTTP response body
// the CLI receives to $OBDCR_TEST_TAP (one JSON line each), so tests know the real secret values on
// the wire and can assert that none of them reaches stdout or stderr.
const dc = require("node:diagnostics_channel");
const fs = require("node:fs");
const file = process.env.OBDCR_TEST_TAP;
if (file) {
  const bodies = new WeakMap();
  dc.subscribe("undici:request:bodyChunkReceived", ({ request, chunk }) => {
    bodies.set(request, Buffer.concat([bodies.get(request) ?? Buffer.alloc(0), Buffer.from(chunk)]));
  });
  dc.subscribe("undici:request:trailers", ({ request }) => {
    const url = `${request.origin}${request.path}`;
    const body = (bodies.get(request) ?? Buffer.alloc(0)).toString("utf8");
    fs.appendFileSync(file, `${JSON.stringify({ method: request.method, url, body })}\n`);
  });
}
