/**
 * Where things are printed. Results go to stdout (human text, or one JSON document with --json);
 * progress, --verbose HTTP lines and errors go to stderr. Nothing here exits the process.
 */
import { escapeControls, printable, safeJson, scrubSecrets } from "../core/untrusted.js";
import { stripAnsi } from "./exit.js";
import { formatExchange, type HttpRecorder } from "./http_log.js";
import { redact } from "./redact.js";

export interface Stream {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** Everything a command touches of the process, injectable for tests. */
export interface CliIo {
  stdout: Stream;
  stderr: Stream;
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface OutputOptions {
  json: boolean;
  verbose: boolean;
  show_secrets: boolean;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export class Output {
  readonly io: CliIo;
  readonly opts: OutputOptions;
  private readonly tty: boolean;

  constructor(io: CliIo, opts: OutputOptions) {
    this.io = io;
    this.opts = opts;
    this.tty = io.stderr.isTTY === true;
  }

  get showSecrets(): boolean {
    return this.opts.show_secrets;
  }

  /**
   * Text as printed: control characters escaped and CI workflow commands neutralised always
   * (bank- and directory-supplied text may be in it); secrets scrubbed by value unless --show-secrets.
   */
  safe(s: string): string {
    return this.showSecrets ? printable(s, { scrub: false }) : printable(s);
  }

  /**
   * A line of human output on stdout (suppressed with --json). One line whatever it holds: a value
   * from a server with a newline in it (an issuer, a scope, a management URI) cannot start a line
   * of its own that reads like ours.
   */
  line(s = ""): void {
    if (!this.opts.json) this.io.stdout.write(`${this.safe(escapeControls(s))}\n`);
  }

  /** A heading of human output. */
  heading(s: string): void {
    this.line();
    this.line(`== ${s} ==`);
  }

  /** A labelled value; objects are pretty JSON, redacted unless --show-secrets. */
  field(label: string, value: unknown): void {
    if (value === undefined) return;
    if (typeof value === "string") {
      this.line(`${label}: ${value}`);
      return;
    }
    // Pretty JSON: its line breaks are its own (a string's newline is written \n inside quotes).
    const [first, ...rest] = JSON.stringify(redact(value, this.showSecrets), null, 2).split("\n");
    this.line(`${label}: ${first}`);
    for (const l of rest) this.line(l);
  }

  /** The --json document (redacted unless --show-secrets; secrets in text scrubbed by value). */
  json(doc: unknown): void {
    if (!this.opts.json) return;
    const text = safeJson(redact(doc, this.showSecrets), 2);
    this.io.stdout.write(`${this.showSecrets ? text : scrubSecrets(text)}\n`);
  }

  /** A note on stderr (always shown; never secrets). */
  note(s: string): void {
    this.io.stderr.write(`${printable(escapeControls(s))}\n`);
  }

  verbose(s: string): void {
    if (this.opts.verbose) this.io.stderr.write(`${this.safe(s)}\n`);
  }

  /** Print each finished HTTP exchange with --verbose. */
  attach(rec: HttpRecorder): void {
    rec.onExchange((x) => this.verbose(formatExchange(x)));
  }

  /**
   * Run a step that waits on the network, showing progress on stderr: a spinner and "… done (N ms)"
   * when stderr is a TTY, one plain line otherwise.
   */
  async step<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    let frame = 0;
    let timer: NodeJS.Timeout | undefined;
    if (this.tty && !this.opts.verbose) {
      this.io.stderr.write(`${SPINNER[0]} ${label} …`);
      timer = setInterval(() => {
        frame = (frame + 1) % SPINNER.length;
        this.io.stderr.write(`\r${SPINNER[frame]} ${label} …`);
      }, 80);
      timer.unref();
    }
    const end = (word: string) => {
      const ms = Math.round(performance.now() - t0);
      if (timer) clearInterval(timer);
      this.io.stderr.write(`${timer ? "\r\u001b[2K" : ""}${printable(label)} … ${word} (${ms} ms)\n`);
    };
    try {
      const r = await fn();
      end("done");
      return r;
    } catch (e) {
      end("failed");
      throw e;
    }
  }
}

export { stripAnsi };
