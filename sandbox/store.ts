import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

/** Writes a file atomically: a temp file in the same folder, then rename. */
export function writeFileAtomic(file: string, data: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
}

export function sha256(value: string): string {
  return crypto.createHash("sha256").update(value).digest("base64url");
}

/** One registration as the bank holds it. Secrets are stored only as SHA-256 hashes. */
export const StoredRegistration = z.object({
  client_id: z.string(),
  software_id: z.string(),
  org_id: z.string(),
  client_id_issued_at: z.number(),
  /** Registered metadata as echoed (substitutions applied), without secrets. */
  metadata: z.record(z.string(), z.unknown()),
  software_jwks_endpoint: z.string().optional(),
  software_jwks_revoked_endpoint: z.string().optional(),
  client_secret_sha256: z.string().optional(),
  registration_access_token_sha256: z.string().optional(),
});
export type StoredRegistration = z.infer<typeof StoredRegistration>;

const StoreFile = z.object({ version: z.literal(1), registrations: z.array(StoredRegistration) });

/** A bank's registrations, persisted as one JSON file (written atomically on every change). */
export class RegistrationStore {
  readonly #file: string;
  #items = new Map<string, StoredRegistration>();

  constructor(file: string) {
    this.#file = file;
    if (fs.existsSync(file)) {
      const parsed = StoreFile.parse(JSON.parse(fs.readFileSync(file, "utf8")));
      for (const r of parsed.registrations) this.#items.set(r.client_id, r);
    }
  }

  get(clientId: string): StoredRegistration | undefined {
    return this.#items.get(clientId);
  }

  list(): StoredRegistration[] {
    return [...this.#items.values()];
  }

  put(reg: StoredRegistration): void {
    this.#items.set(reg.client_id, reg);
    this.#flush();
  }

  delete(clientId: string): boolean {
    const had = this.#items.delete(clientId);
    if (had) this.#flush();
    return had;
  }

  clear(): void {
    this.#items.clear();
    this.#flush();
  }

  #flush(): void {
    writeFileAtomic(
      this.#file,
      `${JSON.stringify({ version: 1, registrations: this.list() }, null, 2)}\n`,
      0o600,
    );
  }
}
