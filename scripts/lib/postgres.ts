// A throwaway PostgreSQL cluster for Pulumi's PostgreSQL state backend (tests, the demo's switch):
// `initdb` in a temp dir, `pg_ctl start` on a free 127.0.0.1 port (unix socket in the temp dir,
// password auth over TCP), a database, its URL; `stop()` stops it (`pg_ctl stop -m fast`) and
// removes the dir. A real server from the machine's PostgreSQL (Debian: `apt-get install -y
// postgresql`), never a mock. PostgreSQL refuses to run as root: as root, every server command
// runs as the unprivileged `postgres` user the Debian package creates (else `nobody`), through
// `runuser`, with the temp dir owned by that user.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export const INSTALL_HINT =
  "PostgreSQL's server binaries (initdb, pg_ctl, postgres) were not found: install them " +
  "(Debian/Ubuntu: `apt-get install -y postgresql`; .ci/run does this on CI) or set " +
  "OBDCR_PG_BIN to the directory that holds them.";

export interface Postgres {
  /** `postgres://user:password@127.0.0.1:port/database?sslmode=disable`: what `pulumi login` takes. */
  url: string;
  port: number;
  database: string;
  user: string;
  dir: string;
  /** `pg_ctl stop -m fast`, then the temp dir is removed. Idempotent. */
  stop: () => Promise<void>;
}

export interface PostgresOptions {
  database?: string;
  /** Prefix of the temp dir (`<tmp>/<prefix>-XXXXXX`). */
  prefix?: string;
}

/** The directory of initdb/pg_ctl/postgres: OBDCR_PG_BIN, Debian's /usr/lib/postgresql/<v>/bin (newest), or PATH. */
export function postgresBin(): string {
  const has = (d: string) => ["initdb", "pg_ctl", "postgres"].every((b) => existsSync(join(d, b)));
  const env = process.env.OBDCR_PG_BIN;
  if (env) {
    if (has(env)) return env;
    throw new Error(`OBDCR_PG_BIN=${env} does not hold initdb, pg_ctl and postgres. ${INSTALL_HINT}`);
  }
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => has(join(debian, v, "bin")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(debian, versions[0], "bin");
  }
  for (const d of (process.env.PATH ?? "").split(delimiter)) if (d && has(d)) return d;
  throw new Error(INSTALL_HINT);
}

/** The account the server runs as: ourselves, or (as root) `postgres`, else `nobody`. */
function serverAccount(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ["postgres", "nobody"]) {
    const r = spawnSync("id", ["-u", name], { encoding: "utf8" });
    if (r.status !== 0) continue;
    const uid = Number(r.stdout.trim());
    const gid = Number(spawnSync("id", ["-g", name], { encoding: "utf8" }).stdout.trim());
    return { name, uid, gid };
  }
  throw new Error("running as root and neither a `postgres` nor a `nobody` user exists to run PostgreSQL");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a throwaway cluster; the caller stops it (an exit hook stops it too if the process ends first). */
export async function startPostgres(opts: PostgresOptions = {}): Promise<Postgres> {
  const bin = postgresBin();
  const account = serverAccount();
  const dir = mkdtempSync(join(tmpdir(), `${opts.prefix ?? "obdcr-pg"}-`));
  const data = join(dir, "data");
  const user = "obdcr";
  const database = opts.database ?? "pulumi";
  const password = randomBytes(18).toString("base64url");
  const run = (cmd: string, args: string[]) => {
    const full = join(bin, cmd);
    const [file, argv] = account ? ["runuser", ["-u", account.name, "--", full, ...args]] : [full, args];
    try {
      return execFileSync(file, argv, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string; message: string };
      const log = existsSync(join(dir, "server.log")) ? readFileSync(join(dir, "server.log"), "utf8") : "";
      throw new Error(
        `${cmd} ${args.join(" ")} failed: ${err.stderr || err.stdout || err.message}\n${log.slice(-2000)}`,
      );
    }
  };
  const pwfile = join(dir, "pwfile");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (account) {
    chownSync(dir, account.uid, account.gid);
    chownSync(pwfile, account.uid, account.gid);
  }
  let stopped = false;
  let started = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    if (started) {
      try {
        run("pg_ctl", ["-D", data, "stop", "-m", "fast", "-w"]);
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", stopSync);
  try {
    // Trust over the unix socket (in the temp dir, owned by the server account), passwords over TCP.
    run("initdb", [
      "-D",
      data,
      "-U",
      user,
      `--pwfile=${pwfile}`,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "-E",
      "UTF8",
      "--no-sync",
      "--no-instructions",
    ]);
    rmSync(pwfile);
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const serverOpts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
      try {
        run("pg_ctl", [
          "-D",
          data,
          "-l",
          join(dir, "server.log"),
          "-o",
          serverOpts,
          "-w",
          "-t",
          "30",
          "start",
        ]);
        started = true;
        break;
      } catch (e) {
        if (attempt >= 3) throw e; // the port was taken between the probe and the start
      }
    }
    run("createdb", ["-h", dir, "-p", String(port), "-U", user, database]);
    const url = `postgres://${user}:${password}@127.0.0.1:${port}/${database}?sslmode=disable`;
    return {
      url,
      port,
      database,
      user,
      dir,
      stop: async () => {
        process.removeListener("exit", stopSync);
        stopSync();
      },
    };
  } catch (e) {
    process.removeListener("exit", stopSync);
    stopSync();
    throw e;
  }
}

/** Runs one SQL statement with `psql` (next to initdb) against `url`; rows as tab-separated lines. */
export function psql(url: string, sql: string): string[] {
  const out = execFileSync(join(postgresBin(), "psql"), [url, "-XAtq", "-F", "\t", "-c", sql], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return out.split("\n").filter((l) => l !== "");
}

/** The same URL with the password masked, for logs. */
export function maskUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:****@");
}
