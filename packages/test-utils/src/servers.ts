/**
 * Real database, cache and queue servers for the tests of client instrumentation: PostgreSQL, MariaDB, Redis
 * and RabbitMQ from Debian's packages, never mocks.
 *
 * - `ensureServer(kind)` runs `scripts/ensure-<kind>.sh` (once per process and kind), which installs the
 *   package with apt-get when its programs are missing and says, by its exit code, when that cannot be done
 *   here (1: the test skips with the reason) or failed (2: an error).
 * - `startPostgres()` and its siblings start one private server: a fresh temporary folder (os.tmpdir()), free
 *   loopback ports, every listening socket on 127.0.0.1 only, a user with a random password and a database
 *   `shop` (PostgreSQL, MariaDB). They resolve once a real login with that password succeeds, and reject with
 *   the tail of the server's log when it exits early or does not get there in time. Nothing is read from or
 *   written to the system's configuration, data or log folders, so a system service, if one runs, is left
 *   alone, and several servers of one kind can run side by side.
 * - `stop()` ends the server gracefully, kills whatever its process group still holds, and removes the
 *   folder. Each server runs in a process group of its own (a child of the test process), so that shell
 *   wrappers and helper processes (RabbitMQ's Erlang VM and port programs) go with it; when the test
 *   process exits or is told to stop (SIGINT, SIGTERM), the groups still running are killed and their
 *   folders removed, best effort.
 *
 * Running as root (as CI and this repository's sandbox do), each server runs as its package's system user
 * (`postgres`, `mysql`, `redis`, `rabbitmq`): PostgreSQL refuses to run as root, and the others need not. The
 * temporary folder is then owned by that user.
 *
 * Startup, measured alone on a 2-CPU sandbox from the call to the first login that works (stop in
 * brackets): PostgreSQL 1.4-1.7 s (0.15 s), of which initdb is ~0.9 s; MariaDB 1.7-2.3 s (0.05 s), of which
 * mariadb-install-db is ~1.5 s; Redis 0.1 s (0.08 s); RabbitMQ 4-5.7 s (1.1 s). All four at once take about
 * as long as RabbitMQ alone. RabbitMQ's time is its Erlang boot; it is kept down by a plugin folder of
 * symbolic links to the applications the broker itself is made of (it reads the defaults and configuration
 * schema of everything in that folder at boot: ~1.2 s for the 40-odd optional plugins), no plugin enabled,
 * and by waiting on an AMQP login rather than `rabbitmqctl`, whose every call boots another Erlang VM.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chownSync,
  existsSync,
  constants as fsConstants,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

/** One running server, private to the test that started it. */
export interface RealServer {
  readonly kind: 'postgresql' | 'mariadb' | 'redis' | 'rabbitmq';
  /** Always `'127.0.0.1'`: the server listens on loopback only. */
  readonly host: string;
  readonly port: number;
  /** A user the client logs in with, by password over TCP (`default` for Redis). */
  readonly user: string;
  readonly password: string;
  /** PostgreSQL and MariaDB: the created database `shop`; Redis: `'0'`; RabbitMQ: the vhost `'/'`. */
  readonly database: string;
  /**
   * A connection URL with the credentials: `postgres://user:pw@127.0.0.1:port/shop`, `mysql://…/shop`,
   * `redis://default:pw@127.0.0.1:port`, `amqp://user:pw@127.0.0.1:port`.
   */
  readonly url: string;
  /** Stops the server and removes its temporary folder. Idempotent. */
  stop(): Promise<void>;
}

type Kind = RealServer['kind'];

const SCRIPTS = fileURLToPath(new URL('../../../scripts/', import.meta.url));
/** Installing a package (RabbitMQ brings the Erlang runtime) can take minutes on a slow mirror. */
const ENSURE_TIMEOUT_MS = 15 * 60_000;
const HOST = '127.0.0.1';
/** The name of the database (PostgreSQL, MariaDB) and of the user the tests log in as. */
const SHOP = 'shop';
/** Attempts with fresh ports when a port taken between freePort() and the server's bind is the failure. */
const PORT_ATTEMPTS = 3;

const ensured = new Map<Kind, string | undefined>();

/**
 * Runs `scripts/ensure-<kind>.sh` once per process: undefined when the server's programs are on this machine
 * (installed now if they were missing), the script's reason when they cannot be had here (exit 1, the caller
 * skips), an error when installing failed (exit 2) or the script could not run.
 */
export function ensureServer(kind: Kind): string | undefined {
  if (ensured.has(kind)) return ensured.get(kind);
  const script = join(SCRIPTS, `ensure-${kind}.sh`);
  const result = spawnSync('sh', [script], { encoding: 'utf8', timeout: ENSURE_TIMEOUT_MS });
  if (result.status === 0) {
    ensured.set(kind, undefined);
    return undefined;
  }
  const stderr = (result.stderr ?? '').trim();
  if (result.status === 1) {
    const reason = stderr || `scripts/ensure-${kind}.sh: ${kind} is not available on this machine`;
    ensured.set(kind, reason);
    return reason;
  }
  const how = result.error ? String(result.error) : result.signal ? `signal ${result.signal}` : `exit ${result.status}`;
  throw new Error(`scripts/ensure-${kind}.sh failed (${how}): ${stderr}`);
}

function requireServer(kind: Kind): void {
  const reason = ensureServer(kind);
  if (reason !== undefined) throw new Error(`${kind} cannot be started here: ${reason}`);
}

// ---------------------------------------------------------------------------------------------------------
// Programs, accounts, ports

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first of `names` found on PATH or in `extraDirs` (Debian puts daemons in /usr/sbin). */
function findProgram(names: readonly string[], extraDirs: readonly string[] = ['/usr/sbin', '/usr/bin']): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  for (const name of names) {
    for (const dir of dirs) {
      const path = join(dir, name);
      if (isExecutable(path)) return path;
    }
  }
  throw new Error(`none of ${names.join(', ')} found on PATH or in ${extraDirs.join(', ')}`);
}

/** Debian keeps PostgreSQL's server programs in /usr/lib/postgresql/<version>/bin: the newest version. */
function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((name) => /^\d+(\.\d+)?$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const version of versions) {
    const bin = join(base, version, 'bin');
    if (isExecutable(join(bin, 'postgres')) && isExecutable(join(bin, 'initdb'))) return bin;
  }
  // Elsewhere: wherever `postgres` on PATH really lives (its siblings initdb and psql with it).
  return dirname(realpathSync(findProgram(['postgres'], [])));
}

/** A user and group to run a server as. */
interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** The system account `name` when this process is root (servers then drop to it), else undefined. */
function serviceAccount(name: string): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

function chownTree(path: string, account: Account | undefined): void {
  if (account === undefined) return;
  chownSync(path, account.uid, account.gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownTree(child, account);
    else if (!entry.isSymbolicLink()) chownSync(child, account.uid, account.gid);
  }
}

const handedOut = new Set<number>();

/** `count` distinct free ports, none handed out earlier in this process (servers start concurrently). */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    ports.push(port);
  }
  return ports;
}

function password(): string {
  return randomBytes(12).toString('hex');
}

// ---------------------------------------------------------------------------------------------------------
// Child processes

/** Environment for the servers and their tools: none of the caller's client settings, HOME in the folder. */
function serverEnv(dir: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(PG|MYSQL|MARIADB|REDIS|RABBITMQ_|ERL_|VITEST|NODE_OPTIONS$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, HOME: dir, LANG: 'C.UTF-8', ...extra };
}

interface SpawnOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly account?: Account | undefined;
}

interface LaunchOptions extends SpawnOptions {
  /** See {@link LiveGroup.exitSignal}. */
  readonly exitSignal?: NodeJS.Signals;
}

/** The last lines a process printed, for error messages. */
class LogTail {
  readonly #lines: string[] = [];
  #partial = '';

  push(chunk: string): void {
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop() ?? '';
    this.#lines.push(...parts);
    if (this.#lines.length > 400) this.#lines.splice(0, this.#lines.length - 400);
  }

  tail(count = 40): string {
    const lines = this.#partial === '' ? this.#lines : [...this.#lines, this.#partial];
    return lines.slice(-count).join('\n');
  }
}

/** A running server process, leader of its own process group. */
interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  readonly log: LogTail;
  /** Resolves when the process has exited and its output is closed. */
  readonly closed: Promise<void>;
  exited(): boolean;
  /** The quickest clean way to end it, see {@link LiveGroup.exitSignal}. */
  readonly exitSignal: NodeJS.Signals | undefined;
}

/** A process group still running, for the exit hook. */
interface LiveGroup {
  /** The folder to remove with it. */
  readonly dir: string;
  /** Sent to the leader first when the test process exits (SIGKILL right away when undefined). */
  readonly exitSignal: NodeJS.Signals | undefined;
}

/** Process groups still running, by group id (the leader's pid). */
const live = new Map<number, LiveGroup>();
let hooked = false;

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Whether `pid` is still running (a zombie, which this process can no longer reap, is not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Synchronous, for the exit hook: leaders with an exit signal get it and up to 2 s to end (PostgreSQL's
 * immediate shutdown removes its System V shared memory segment, which a SIGKILL would leak), then every
 * group is killed and its folder removed.
 */
function killAllLive(): void {
  const waiting: number[] = [];
  for (const [pgid, group] of live) {
    if (group.exitSignal === undefined) continue;
    try {
      process.kill(pgid, group.exitSignal);
      waiting.push(pgid);
    } catch {
      // Already gone.
    }
  }
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 2_000;
  while (waiting.some(running) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 20);
  for (const [pgid, group] of live) {
    killGroup(pgid);
    try {
      rmSync(group.dir, { recursive: true, force: true });
    } catch {
      // Best effort while exiting.
    }
  }
  live.clear();
}

/** On the test process's exit or SIGINT/SIGTERM, kills the servers still running (best effort). */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAllLive);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllLive();
      // Listening took away the signal's default action, ending the process: unless someone else handles
      // the signal, end it the way that action would have.
      if (process.listenerCount(signal) === 0) process.exit(128 + (constants.signals[signal] ?? 0));
    });
  }
}

function launch(name: string, command: string, args: readonly string[], options: LaunchOptions): Daemon {
  hookExit();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    uid: options.account?.uid,
    gid: options.account?.gid,
  });
  const log = new LogTail();
  let exited = false;
  let spawnError: Error | undefined;
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => log.push(chunk));
  }
  const closed = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      spawnError = error;
      exited = true;
      log.push(`\n[${name} could not be started: ${error.message}]\n`);
      resolve();
    });
    child.once('exit', () => {
      exited = true;
    });
    child.once('close', (code, signal) => {
      exited = true;
      if (child.pid !== undefined) live.delete(child.pid);
      log.push(`\n[${name} exited: ${signal ?? `code ${code}`}]\n`);
      resolve();
    });
  });
  if (child.pid !== undefined) live.set(child.pid, { dir: options.cwd, exitSignal: options.exitSignal });
  // A test that forgets stop() must not keep the runner alive; the exit hook still kills the group.
  child.unref();
  (child.stdout as { unref?: () => void } | null)?.unref?.();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  return { name, child, log, closed, exited: () => exited || spawnError !== undefined, exitSignal: options.exitSignal };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Ends a daemon: `signal` to its leader, SIGKILL to its group after `graceMs` (and to any leftover member). */
async function terminate(daemon: Daemon, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  const pid = daemon.child.pid;
  if (pid === undefined) return;
  if (!daemon.exited()) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone meanwhile.
    }
    await Promise.race([daemon.closed, delay(graceMs)]);
  }
  // Helpers (postgres backends, Erlang port programs) that outlived the leader, or the leader itself.
  killGroup(pid);
  await Promise.race([daemon.closed, delay(5_000)]);
  live.delete(pid);
}

/** Runs a tool to its end (with a timeout): its exit code and output. */
function run(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { readonly timeoutMs: number },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      uid: options.account?.uid,
      gid: options.account?.gid,
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.once('error', (error) => resolve({ code: null, output: `${output}${error.message}` }));
    child.once('close', (code, signal) =>
      resolve({ code, output: signal ? `${output}[${command} ended by ${signal}]` : output }),
    );
  });
}

/** Runs a setup step that must succeed; the error carries its output. */
async function mustRun(
  what: string,
  command: string,
  args: readonly string[],
  options: SpawnOptions & { readonly timeoutMs: number },
): Promise<void> {
  const { code, output } = await run(command, args, options);
  if (code !== 0) throw new Error(`${what} failed (exit ${code}):\n${output.trim().split('\n').slice(-40).join('\n')}`);
}

/**
 * Polls `attempt` until it resolves true. Rejects, with the daemon's log tail, when the daemon exits first
 * or `timeoutMs` passes.
 */
async function waitFor(
  daemon: Daemon,
  what: string,
  timeoutMs: number,
  attempt: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (daemon.exited()) {
      await daemon.closed;
      throw new Error(`${daemon.name} exited before ${what}; last lines of its log:\n${daemon.log.tail()}`);
    }
    try {
      if (await attempt()) return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${daemon.name}: no ${what} within ${timeoutMs} ms${last ? ` (last attempt: ${last})` : ''}; ` +
          `last lines of its log:\n${daemon.log.tail()}`,
      );
    }
    await delay(50);
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * One exchange on a fresh TCP connection: writes `request`, collects bytes until `verdict` returns a boolean
 * (false when the connection ends or 3 s pass first). A verdict that throws rejects with its error.
 */
function exchange(
  port: number,
  request: Buffer,
  verdict: (received: Buffer, socket: Socket) => boolean | undefined,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    let received = Buffer.alloc(0);
    let settled = false;
    const done = (ok: boolean | Error): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (ok instanceof Error) reject(ok);
      else resolve(ok);
    };
    socket.setTimeout(3_000, () => done(false));
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        const result = verdict(received, socket);
        if (result !== undefined) done(result);
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

/** Temporary folder for one server, owned by its account. */
async function serverDir(kind: Kind): Promise<string> {
  return mkdtemp(join(tmpdir(), `autotelemetry-${kind}-`));
}

/** Builds the RealServer handle: stop() runs `stopAll` once, then removes the folder. */
function handle(fields: Omit<RealServer, 'stop' | 'host'>, dir: string, stopAll: () => Promise<void>): RealServer {
  let stopping: Promise<void> | undefined;
  return {
    ...fields,
    host: HOST,
    stop() {
      stopping ??= (async () => {
        try {
          await stopAll();
        } finally {
          await rm(dir, { recursive: true, force: true });
          live.forEach((group, pgid) => {
            if (group.dir === dir) live.delete(pgid);
          });
        }
      })();
      return stopping;
    },
  };
}

/**
 * Runs `start` (which cleans up after itself when it fails) up to PORT_ATTEMPTS times, each with fresh
 * ports, when the failure is a port taken meanwhile by another process; any other failure is thrown at once.
 */
async function withPortRetries(start: () => Promise<RealServer>): Promise<RealServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (attempt >= PORT_ATTEMPTS || !/address already in use|eaddrinuse/i.test(message)) throw error;
    }
  }
}

/** Runs `body` with a fresh folder; on failure, stops whatever it launched (listed in `daemons`) and removes it. */
async function starting(
  kind: Kind,
  body: (dir: string, daemons: Daemon[]) => Promise<RealServer>,
): Promise<RealServer> {
  const dir = await serverDir(kind);
  const daemons: Daemon[] = [];
  try {
    return await body(dir, daemons);
  } catch (error) {
    for (const daemon of daemons.reverse()) await terminate(daemon, daemon.exitSignal ?? 'SIGKILL', 2_000);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// PostgreSQL

/** A PostgreSQL server: initdb into a temporary folder, `postgres` on a free port, role and database `shop`. */
export async function startPostgres(): Promise<RealServer> {
  requireServer('postgresql');
  const bin = postgresBinDir();
  const account = serviceAccount('postgres');
  if (process.getuid?.() === 0 && account === undefined) {
    throw new Error("PostgreSQL refuses to run as root and this machine has no 'postgres' user to run it as");
  }
  return withPortRetries(() =>
    starting('postgresql', async (dir, daemons) => {
      const [port = 0] = await freePorts(1);
      const secret = password();
      const data = join(dir, 'data');
      const sockets = join(dir, 'sock');
      await mkdir(sockets);
      chownTree(dir, account);
      const env = serverEnv(dir);
      await mustRun(
        'initdb',
        join(bin, 'initdb'),
        [
          ...['-D', data, '-U', 'postgres', '-E', 'UTF8', '--locale=C'],
          ...['--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync', '--no-instructions'],
        ],
        { env, cwd: dir, account, timeoutMs: 60_000 },
      );
      const server = launch(
        'postgres',
        join(bin, 'postgres'),
        [
          ...['-D', data, '-p', String(port), '-c', `listen_addresses=${HOST}`],
          ...['-c', `unix_socket_directories=${sockets}`],
          // Disposable data: no need to wait for the disk.
          ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
        ],
        { env, cwd: dir, account, exitSignal: 'SIGQUIT' },
      );
      daemons.push(server);
      const psql = (args: readonly string[], extraEnv: Record<string, string> = {}) =>
        run(join(bin, 'psql'), ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...args], {
          env: serverEnv(dir, { PGCONNECT_TIMEOUT: '3', ...extraEnv }),
          cwd: dir,
          timeoutMs: 10_000,
        });
      const asSuperuser = ['-h', sockets, '-p', String(port), '-U', 'postgres', '-d', 'postgres'];
      await waitFor(server, 'login over its socket', 30_000, async () => {
        const { code } = await psql([...asSuperuser, '-c', 'SELECT 1']);
        return code === 0;
      });
      const setup = await psql([
        ...asSuperuser,
        ...['-c', `CREATE ROLE ${SHOP} LOGIN PASSWORD '${secret}'`, '-c', `CREATE DATABASE ${SHOP} OWNER ${SHOP}`],
      ]);
      if (setup.code !== 0) throw new Error(`creating the role and database failed:\n${setup.output}`);
      await waitFor(server, 'password login over TCP', 10_000, async () => {
        const { code, output } = await psql(
          ['-h', HOST, '-p', String(port), '-U', SHOP, '-d', SHOP, '-c', 'SELECT current_user'],
          { PGPASSWORD: secret },
        );
        if (code !== 0) throw new Error(output.trim());
        return true;
      });
      return handle(
        {
          kind: 'postgresql',
          port,
          user: SHOP,
          password: secret,
          database: SHOP,
          url: `postgres://${SHOP}:${secret}@${HOST}:${port}/${SHOP}`,
        },
        dir,
        // SIGINT is PostgreSQL's fast shutdown: clients are disconnected rather than waited for.
        () => terminate(server, 'SIGINT', 10_000),
      );
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// MariaDB

/** A MariaDB server: mariadb-install-db into a temporary folder, `mariadbd` on a free port, user and database `shop`. */
export async function startMariadb(): Promise<RealServer> {
  requireServer('mariadb');
  const mariadbd = findProgram(['mariadbd', 'mysqld']);
  const installDb = findProgram(['mariadb-install-db', 'mysql_install_db']);
  const client = findProgram(['mariadb', 'mysql']);
  const account = serviceAccount('mysql');
  return withPortRetries(() =>
    starting('mariadb', async (dir, daemons) => {
      const [port = 0] = await freePorts(1);
      const secret = password();
      const data = join(dir, 'data');
      // Run at every start, after the grant tables are loaded (mariadb-install-db's bootstrap cannot
      // create users): the database and a user that logs in with a password from anywhere (TCP included).
      const initFile = join(dir, 'init.sql');
      await writeFile(
        initFile,
        [
          `CREATE DATABASE IF NOT EXISTS ${SHOP};`,
          `CREATE USER IF NOT EXISTS '${SHOP}'@'%' IDENTIFIED BY '${secret}';`,
          `GRANT ALL PRIVILEGES ON ${SHOP}.* TO '${SHOP}'@'%';`,
          '',
        ].join('\n'),
      );
      chownTree(dir, account);
      const env = serverEnv(dir);
      // Root without a `mysql` account: mariadbd only runs as root when told so.
      const asRoot = process.getuid?.() === 0 && account === undefined ? ['--user=root'] : [];
      // Disposable data: small InnoDB files, nothing waits for the disk, no binary log.
      const tuning = [
        '--skip-name-resolve',
        '--skip-log-bin',
        '--innodb-log-file-size=8M',
        '--innodb-buffer-pool-size=16M',
        '--innodb-doublewrite=0',
        '--innodb-flush-log-at-trx-commit=0',
        '--innodb-use-native-aio=0',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_general_ci',
      ];
      await mustRun(
        'mariadb-install-db',
        installDb,
        ['--no-defaults', `--datadir=${data}`, '--skip-test-db', ...asRoot, ...tuning],
        { env, cwd: dir, account, timeoutMs: 60_000 },
      );
      const server = launch(
        'mariadbd',
        mariadbd,
        [
          // --no-defaults first: none of /etc/mysql's settings (system datadir, socket, logs).
          '--no-defaults',
          `--datadir=${data}`,
          `--port=${port}`,
          `--bind-address=${HOST}`,
          `--socket=${join(dir, 'mysqld.sock')}`,
          `--pid-file=${join(dir, 'mysqld.pid')}`,
          `--init-file=${initFile}`,
          ...asRoot,
          ...tuning,
        ],
        { env, cwd: dir, account },
      );
      daemons.push(server);
      await waitFor(server, 'password login over TCP', 30_000, async () => {
        const { code, output } = await run(
          client,
          [
            ...['--no-defaults', '--skip-ssl', '--protocol=TCP', '--connect-timeout=3'],
            ...['-h', HOST, '-P', String(port), '-u', SHOP, `--password=${secret}`, SHOP, '-e', 'SELECT 1'],
          ],
          { env, cwd: dir, timeoutMs: 10_000 },
        );
        if (code !== 0) throw new Error(output.trim());
        return true;
      });
      return handle(
        {
          kind: 'mariadb',
          port,
          user: SHOP,
          password: secret,
          database: SHOP,
          url: `mysql://${SHOP}:${secret}@${HOST}:${port}/${SHOP}`,
        },
        dir,
        () => terminate(server, 'SIGTERM', 15_000),
      );
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Redis

/** A Redis server on a free port, no persistence, the `default` user with a password (`requirepass`). */
export async function startRedis(): Promise<RealServer> {
  requireServer('redis');
  const redisServer = findProgram(['redis-server']);
  const account = serviceAccount('redis');
  return withPortRetries(() =>
    starting('redis', async (dir, daemons) => {
      const [port = 0] = await freePorts(1);
      const secret = password();
      chownTree(dir, account);
      const server = launch(
        'redis-server',
        redisServer,
        [
          ...['--port', String(port), '--bind', HOST, '--dir', dir],
          ...['--save', '', '--appendonly', 'no', '--requirepass', secret],
          ...['--daemonize', 'no', '--logfile', '', '--databases', '16'],
        ],
        { env: serverEnv(dir), cwd: dir, account },
      );
      daemons.push(server);
      const request = Buffer.from(`AUTH default ${secret}\r\nPING\r\n`);
      await waitFor(server, 'password login', 15_000, () =>
        exchange(port, request, (received) => {
          const text = received.toString('latin1');
          if (text === '+OK\r\n+PONG\r\n') return true;
          if (text.startsWith('-')) throw new Error(text.trim());
          return text.length >= 12 ? false : undefined;
        }),
      );
      return handle(
        {
          kind: 'redis',
          port,
          user: 'default',
          password: secret,
          database: '0',
          url: `redis://default:${secret}@${HOST}:${port}`,
        },
        dir,
        () => terminate(server, 'SIGTERM', 10_000),
      );
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// RabbitMQ

/** AMQP 0-9-1 frame: type, channel 0, payload, frame end. */
function amqpFrame(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(7);
  header.writeUInt8(type, 0);
  header.writeUInt16BE(0, 1);
  header.writeUInt32BE(payload.length, 3);
  return Buffer.concat([header, payload, Buffer.from([0xce])]);
}

function shortString(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

function longString(value: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(value.length, 0);
  return Buffer.concat([length, value]);
}

/**
 * Whether RabbitMQ lets `user` in: the start of an AMQP 0-9-1 handshake (protocol header, connection.start,
 * connection.start-ok with PLAIN). The broker answers connection.tune when the login is good, and closes
 * the connection when not.
 */
function amqpLogin(port: number, user: string, secret: string): Promise<boolean> {
  let answered = false;
  return exchange(port, Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'), (received, socket) => {
    // Complete method frames only: 7-byte header, payload, frame end.
    let offset = 0;
    while (received.length >= offset + 7) {
      const size = received.readUInt32BE(offset + 3);
      if (received.length < offset + 7 + size + 1) return undefined;
      const type = received.readUInt8(offset);
      const classId = received.readUInt16BE(offset + 7);
      const methodId = received.readUInt16BE(offset + 9);
      offset += 7 + size + 1;
      if (type !== 1 || classId !== 10) return false;
      if (methodId === 10) {
        // `received` holds every byte so far: connection.start comes again on each later data event.
        if (answered) continue;
        answered = true;
        const method = Buffer.alloc(4);
        method.writeUInt16BE(10, 0);
        method.writeUInt16BE(11, 2);
        const startOk = Buffer.concat([
          method,
          Buffer.alloc(4), // client properties: an empty table
          shortString('PLAIN'),
          longString(Buffer.from(`\0${user}\0${secret}`, 'utf8')),
          shortString('en_US'),
        ]);
        socket.write(amqpFrame(1, startOk));
        continue;
      }
      return methodId === 30; // connection.tune: logged in; connection.close or anything else: not
    }
    return undefined;
  });
}

/** RabbitMQ's application folder: /usr/lib/rabbitmq/lib/rabbitmq_server-<version>/plugins on Debian. */
function rabbitmqPluginsDir(serverScript: string): string | undefined {
  const lib = join(dirname(realpathSync(serverScript)), '..', 'plugins');
  return existsSync(lib) ? lib : undefined;
}

/**
 * A folder of symbolic links to the Erlang applications the broker itself is made of, leaving out the
 * optional `rabbitmq_*` plugins: RabbitMQ reads every application's defaults and configuration schema in
 * its plugin folder at boot, and the 40-odd plugins cost about a second.
 */
async function slimPluginsDir(plugins: string, dir: string): Promise<string> {
  const slim = join(dir, 'plugins');
  await mkdir(slim);
  for (const entry of readdirSync(plugins, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const optional = entry.name.startsWith('rabbitmq_') && !entry.name.startsWith('rabbitmq_prelaunch-');
    if (!optional) await symlink(join(plugins, entry.name), join(slim, entry.name));
  }
  return slim;
}

/**
 * A RabbitMQ broker: its own epmd, node name, distribution and AMQP ports, data and logs in a temporary
 * folder, no plugins, a user `shop` with a password and full rights on vhost `/`.
 */
export async function startRabbitmq(): Promise<RealServer> {
  requireServer('rabbitmq');
  // The script itself rather than /usr/sbin's Debian wrapper, which switches user with su and logs to /var/log.
  const serverScript = existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server')
    ? '/usr/lib/rabbitmq/bin/rabbitmq-server'
    : findProgram(['rabbitmq-server']);
  const epmd = findProgram(['epmd'], ['/usr/bin', ...erlangBinDirs()]);
  const account = serviceAccount('rabbitmq');
  return withPortRetries(() =>
    starting('rabbitmq', async (dir, daemons) => {
      const [port = 0, distPort = 0, epmdPort = 0] = await freePorts(3);
      const secret = password();
      const nodeName = `rabbit-${port}@localhost`;
      const config = join(dir, 'rabbitmq.conf');
      await writeFile(
        config,
        [
          `listeners.tcp.1 = ${HOST}:${port}`,
          // Created at the first boot, with full rights on the default vhost.
          `default_user = ${SHOP}`,
          `default_pass = ${secret}`,
          'default_vhost = /',
          'disk_free_limit.absolute = 10MB',
          '',
        ].join('\n'),
      );
      await writeFile(join(dir, 'enabled_plugins'), '[].\n');
      await writeFile(join(dir, 'rabbitmq-env.conf'), '');
      const plugins = rabbitmqPluginsDir(serverScript);
      const slim = plugins === undefined ? undefined : await slimPluginsDir(plugins, dir);
      chownTree(dir, account);
      const env = serverEnv(dir, {
        ERL_EPMD_PORT: String(epmdPort),
        RABBITMQ_NODE_PORT: String(port),
        RABBITMQ_NODE_IP_ADDRESS: HOST,
        RABBITMQ_NODENAME: nodeName,
        RABBITMQ_DIST_PORT: String(distPort),
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_LOGS: '-',
        RABBITMQ_CONFIG_FILE: config,
        RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
        RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
        RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, 'plugins-expand'),
        ...(slim === undefined ? {} : { RABBITMQ_PLUGINS_DIR: slim }),
        // Erlang distribution on loopback only.
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: `-kernel inet_dist_use_interface {127,0,0,1}`,
      });
      // Our own epmd, in the foreground, so that it is a child we stop; the node finds it on ERL_EPMD_PORT
      // and does not start a daemon of its own (which would outlive the test).
      const mapper = launch('epmd', epmd, ['-port', String(epmdPort), '-address', HOST], { env, cwd: dir, account });
      daemons.push(mapper);
      await waitFor(mapper, 'listening', 10_000, () => accepts(epmdPort));
      const server = launch('rabbitmq-server', serverScript, [], { env, cwd: dir, account });
      daemons.push(server);
      await waitFor(server, 'AMQP login', 60_000, () => amqpLogin(port, SHOP, secret));
      return handle(
        {
          kind: 'rabbitmq',
          port,
          user: SHOP,
          password: secret,
          database: '/',
          url: `amqp://${SHOP}:${secret}@${HOST}:${port}`,
        },
        dir,
        async () => {
          // The script passes SIGTERM on to the Erlang VM, which stops the broker (about a second).
          await terminate(server, 'SIGTERM', 15_000);
          await terminate(mapper, 'SIGTERM', 5_000);
        },
      );
    }),
  );
}

/** Where an Erlang runtime may keep epmd when it is not on PATH. */
function erlangBinDirs(): string[] {
  const base = '/usr/lib/erlang';
  if (!existsSync(base)) return [];
  const dirs = [join(base, 'bin')];
  for (const name of readdirSync(base)) if (name.startsWith('erts-')) dirs.push(join(base, name, 'bin'));
  return dirs;
}
