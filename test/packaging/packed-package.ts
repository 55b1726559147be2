// Helpers of the packaging tests: pack the library as `npm publish` would, and lay out
// throwaway applications that install the tarball and load it like a user's application.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

export const PACKAGE_NAME = 'nestjs-sse-event-store';

/** What a finished child process printed. */
export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command; rejects with everything it printed when it fails or times out. */
export async function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeout?: number; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  const result = await runToExit(command, args, options);
  if (result.exitCode !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${options.cwd}) failed: ${result.failure}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
    );
  }
  return result;
}

/** Runs a command to its end, whatever its exit code; a timeout or a signal gives a non-zero code. */
export function runToExit(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeout?: number; env?: NodeJS.ProcessEnv },
): Promise<RunResult & { exitCode: number; failure: string }> {
  return new Promise((resolvePromise) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        timeout: options.timeout ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        env: options.env ?? process.env,
      },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === 'number' && error.code !== 0 ? error.code : 1) : 0;
        resolvePromise({ stdout, stderr, exitCode, failure: error ? error.message : '' });
      },
    );
  });
}

function isRepositoryRoot(directory: string): boolean {
  const manifest = join(directory, 'package.json');
  if (!existsSync(manifest) || !existsSync(join(directory, 'lib'))) return false;
  try {
    return JSON.parse(readFileSync(manifest, 'utf8')).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/** The repository this test was compiled from: above the compiled file, else above the working directory. */
export function findRepositoryRoot(): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let directory = resolve(start); ; directory = dirname(directory)) {
      if (isRepositoryRoot(directory)) return directory;
      if (dirname(directory) === directory) break;
    }
  }
  throw new Error(`No ${PACKAGE_NAME} checkout above ${__dirname} or ${process.cwd()}`);
}

/** Packs the repository into `destination` (the `prepack` script builds dist/ first); returns the tarball's path. */
export async function packPackage(root: string, destination: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: root,
    timeout: 300_000,
  });
  const report = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string }[];
  if (report.length !== 1) throw new Error(`npm pack reported ${report.length} packages`);
  return join(destination, report[0].filename);
}

/** The paths inside a tarball, without npm's `package/` prefix; directories left out. */
export async function listTarball(tarball: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', tarball], { cwd: dirname(tarball) });
  return stdout
    .split('\n')
    .filter((line) => line && !line.endsWith('/'))
    .map((line) => {
      if (!line.startsWith('package/')) throw new Error(`Tarball entry outside package/: ${line}`);
      return line.slice('package/'.length);
    })
    .sort();
}

/** Every file under `directory`, relative to it, with `/` separators. */
export async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) =>
      join(entry.parentPath, entry.name)
        .slice(directory.length + 1)
        .split('\\')
        .join('/'),
    )
    .sort();
}

export type AppFlavor = 'commonjs' | 'module';

/**
 * Creates an application directory that has the tarball installed as
 * `node_modules/nestjs-sse-event-store` (extracted, as npm would), and the given packages from
 * the repository's node_modules linked beside it. Only those packages are reachable from the
 * installed library, so a dependency it does not declare fails to load.
 */
export async function createApp(options: {
  directory: string;
  flavor: AppFlavor;
  tarball: string;
  root: string;
  links: readonly string[];
  files: Record<string, string>;
}): Promise<void> {
  const { directory, flavor, tarball, root, links, files } = options;
  const installed = join(directory, 'node_modules', PACKAGE_NAME);
  await mkdir(installed, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], { cwd: directory });
  for (const name of links) {
    const target = join(root, 'node_modules', name);
    if (!existsSync(target)) throw new Error(`${name} is not installed in the repository's node_modules`);
    const link = join(directory, 'node_modules', name);
    await mkdir(dirname(link), { recursive: true });
    await symlink(target, link, 'dir');
  }
  const manifest = {
    name: `packaging-${flavor}-app`,
    private: true,
    type: flavor,
    dependencies: { [PACKAGE_NAME]: `file:${tarball}` },
  };
  await writeFile(join(directory, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(directory, name)), { recursive: true });
    await writeFile(join(directory, name), content);
  }
}

/** The environment for a child process that must resolve modules only the way an application does. */
export function applicationEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_PATH;
  delete env.NODE_OPTIONS;
  return env;
}

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

/**
 * The body of the runtime check, shared by the CommonJS and the ESM application. It expects
 * `Module`, `NestFactory`, `CacheModule`, `firstValueFrom`, `toArray`, `SseEventStoreModule`,
 * `SseEventStore`, `createSseEventStore`, `McpSessionEventStore`, `resolvePackage` (and `flavor`) in scope.
 */
const applicationBody = `
class AppModule {}
Module({ imports: [CacheModule.register({ isGlobal: true }), SseEventStoreModule.forRoot()] })(AppModule);

async function roundTrip(store, sessionId) {
  const streamId = 'packaging';
  const writer = await store.createStream({ sessionId, streamId });
  const first = await writer.write({ data: { n: 1, sessionId } });
  const second = await writer.write({ type: 'note', data: 'two' });
  await writer.complete();
  const fromStart = await store.getStreamReaderFromStart({ sessionId, streamId });
  const all = await firstValueFrom(fromStart.events().pipe(toArray()));
  const resumed = await store.getStreamReader(first.id, { sessionId });
  const afterFirst = await firstValueFrom(resumed.events().pipe(toArray()));
  return { written: [first.id, second.id], all, afterFirst };
}

function resolveOrCode(specifier) {
  try {
    return resolvePackage(specifier);
  } catch (error) {
    return error.code ?? String(error);
  }
}

async function main() {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  const store = app.get(SseEventStore);
  const viaModule = await roundTrip(store, 'module-' + flavor);
  await app.close();

  const standalone = createSseEventStore();
  const viaTesting = await roundTrip(standalone.store, 'testing-' + flavor);
  standalone.close();

  const result = {
    flavor,
    storeIsSseEventStore: store instanceof SseEventStore,
    standaloneIsSseEventStore: standalone.store instanceof SseEventStore,
    mcpSessionEventStoreIsClass: typeof McpSessionEventStore === 'function',
    resolved: {
      main: resolveOrCode('${PACKAGE_NAME}'),
      testing: resolveOrCode('${PACKAGE_NAME}/testing'),
      mcp: resolveOrCode('${PACKAGE_NAME}/mcp'),
      terminus: resolveOrCode('${PACKAGE_NAME}/terminus'),
      deep: resolveOrCode('${PACKAGE_NAME}/dist/sse-event-store.js'),
    },
    viaModule,
    viaTesting,
  };
  console.log('PACKAGING-RESULT ' + JSON.stringify(result));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
`;

/** A CommonJS application (`require`), as a `"type": "commonjs"` project would write it. */
export const commonJsApplication = `'use strict';
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { CacheModule } = require('@nestjs/cache-manager');
const { firstValueFrom, toArray } = require('rxjs');
const { SseEventStoreModule, SseEventStore } = require('${PACKAGE_NAME}');
const { createSseEventStore } = require('${PACKAGE_NAME}/testing');
const { McpSessionEventStore } = require('${PACKAGE_NAME}/mcp');
const { realpathSync } = require('node:fs');

const flavor = 'commonjs';
const resolvePackage = (specifier) => realpathSync(require.resolve(specifier));
${applicationBody}`;

/** An ESM application (`import`), as a `"type": "module"` project would write it. */
export const esmApplication = `import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CacheModule } from '@nestjs/cache-manager';
import { firstValueFrom, toArray } from 'rxjs';
import { SseEventStoreModule, SseEventStore } from '${PACKAGE_NAME}';
import { createSseEventStore } from '${PACKAGE_NAME}/testing';
import { McpSessionEventStore } from '${PACKAGE_NAME}/mcp';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const flavor = 'module';
const resolvePackage = (specifier) => realpathSync(fileURLToPath(import.meta.resolve(specifier)));
${applicationBody}`;

/**
 * The body of the health check application, shared by its CommonJS and ESM forms: a Nest
 * application context with `TerminusModule` and the store's indicator, asked once. It expects
 * `Module`, `NestFactory`, `TerminusModule`, `SseEventStoreModule`, `SseEventStoreHealthIndicator`
 * and `resolvePackage` (and `flavor`) in scope.
 */
const healthApplicationBody = `
class AppModule {}
Module({
  imports: [TerminusModule, SseEventStoreModule.forRoot()],
  providers: [SseEventStoreHealthIndicator],
})(AppModule);

async function main() {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  const health = await app.get(SseEventStoreHealthIndicator).isHealthy();
  await app.close();
  const result = { flavor, health, resolved: resolvePackage('${PACKAGE_NAME}/terminus') };
  console.log('PACKAGING-RESULT ' + JSON.stringify(result));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
`;

/** The health check application in CommonJS (`require`). */
export const commonJsHealthApplication = `'use strict';
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TerminusModule } = require('@nestjs/terminus');
const { SseEventStoreModule } = require('${PACKAGE_NAME}');
const { SseEventStoreHealthIndicator } = require('${PACKAGE_NAME}/terminus');
const { realpathSync } = require('node:fs');

const flavor = 'commonjs';
const resolvePackage = (specifier) => realpathSync(require.resolve(specifier));
${healthApplicationBody}`;

/** The health check application as ESM (`import`). */
export const esmHealthApplication = `import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { SseEventStoreModule } from '${PACKAGE_NAME}';
import { SseEventStoreHealthIndicator } from '${PACKAGE_NAME}/terminus';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const flavor = 'module';
const resolvePackage = (specifier) => realpathSync(fileURLToPath(import.meta.resolve(specifier)));
${healthApplicationBody}`;

/** The optional peer that `/terminus` needs. */
export const TERMINUS_PEERS = ['@nestjs/terminus'] as const;

/**
 * A TypeScript consumer of the published types, through every entry point: the root, `/testing`,
 * `/mcp`, `/terminus` (with `@nestjs/terminus` installed), and `/mcp-nest` (types only: loading it
 * needs `@rekog/mcp-nest` and the MCP SDK v2).
 * Compiles as CommonJS or as ESM depending on the project's settings and `"type"`. The
 * `@ts-expect-error` lines fail the compile if the types were missing or `any`, or if a name that
 * is not part of the API were exported.
 */
export const typeScriptConsumer = `import 'reflect-metadata';
import { Controller, Get, Headers, Injectable, Module, Sse } from '@nestjs/common';
import { CacheModule } from '@nestjs/cache-manager';
import { HealthCheck, type HealthCheckResult, HealthCheckService, type HealthIndicatorResult, TerminusModule } from '@nestjs/terminus';
import { EMPTY, type Observable } from 'rxjs';
import {
  SseEventStore,
  SseEventStoreError,
  SseEventStoreModule,
  SseEventStreamMode,
  SseHistoryExpiredError,
  type SseEventStoreModuleAsyncOptions,
  type SseEventStoreModuleOptions,
  type SseEventStoreOptionsFactory,
  type SseEventStreamReader,
  type SseEventStreamWriter,
  type SseStoredEvent,
} from '${PACKAGE_NAME}';
// @ts-expect-error the defaults are documented on the options, not exported
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '${PACKAGE_NAME}';
// @ts-expect-error the module's options token is its own
import { SSE_EVENT_STORE_MODULE_OPTIONS } from '${PACKAGE_NAME}';
import { createSseEventStore, type StandaloneSseEventStore } from '${PACKAGE_NAME}/testing';
import { McpSessionEventStore, type McpEventStore, type McpJsonRpcMessage, type McpStoredMessage } from '${PACKAGE_NAME}/mcp';
import type { ResumableStreamableHttpTransport, ResumableStreamableHttpTransportOptions } from '${PACKAGE_NAME}/mcp-nest';
import { SseEventStoreHealthIndicator, type SseEventStoreHealthDetails } from '${PACKAGE_NAME}/terminus';

const options: SseEventStoreModuleOptions = { keyPrefix: 'app', maxEventsPerStream: 100 };

@Injectable()
export class Notifications {
  constructor(private readonly store: SseEventStore) {}

  async publish(sessionId: string): Promise<string> {
    const writer: SseEventStreamWriter = await this.store.createStream({
      sessionId,
      streamId: 'notes',
      mode: SseEventStreamMode.Streaming,
    });
    const written = await writer.write({ type: 'note', data: { text: 'hello' } });
    await writer.complete();
    const id: string = written.id;
    return id;
  }

  async resume(lastEventId: string | undefined, sessionId: string): Promise<Observable<SseStoredEvent>> {
    try {
      const reader: SseEventStreamReader | null = lastEventId
        ? await this.store.getStreamReader(lastEventId, { sessionId })
        : await this.store.getStreamReaderFromStart({ sessionId, streamId: 'notes' });
      return reader ? reader.events() : EMPTY;
    } catch (error) {
      if (error instanceof SseHistoryExpiredError) return EMPTY;
      throw error;
    }
  }
}

@Controller('events')
export class EventsController {
  constructor(private readonly notifications: Notifications) {}

  @Sse()
  stream(@Headers('last-event-id') lastEventId?: string): Promise<Observable<SseStoredEvent>> {
    return this.notifications.resume(lastEventId, 'session');
  }
}

@Module({
  imports: [CacheModule.register({ isGlobal: true }), SseEventStoreModule.forRoot(options)],
  controllers: [EventsController],
  providers: [Notifications],
})
export class AppModule {}

export const defaultModule = SseEventStoreModule.forRoot();
export const asyncModule = SseEventStoreModule.forRootAsync({
  isGlobal: true,
  useFactory: (): SseEventStoreModuleOptions => ({ pollingInterval: 500 }),
});

@Injectable()
export class SseStoreConfig implements SseEventStoreOptionsFactory {
  async createSseEventStoreOptions(): Promise<SseEventStoreModuleOptions> {
    return { keyPrefix: 'configured' };
  }
}

const PREFIX = 'PREFIX';
const byFactory: SseEventStoreModuleAsyncOptions = { inject: [PREFIX], useFactory: (prefix: string) => ({ keyPrefix: prefix }) };
export const asyncModules = [
  SseEventStoreModule.forRootAsync(byFactory),
  SseEventStoreModule.forRootAsync({ useClass: SseStoreConfig }),
  SseEventStoreModule.forRootAsync({ imports: [AppModule], useExisting: SseStoreConfig }),
];
// @ts-expect-error an options factory has createSseEventStoreOptions()
SseEventStoreModule.forRootAsync({ useClass: Notifications });

const standalone: StandaloneSseEventStore = createSseEventStore({ maxEventBytes: 1024 });
export const store: SseEventStore = standalone.store;
export const isStoreError = (error: unknown): boolean => error instanceof SseEventStoreError;

// @ts-expect-error sessionId must be a string
void store.createStream({ sessionId: 1, streamId: 'x' });
// @ts-expect-error the options are checked
SseEventStoreModule.forRoot({ keyPrefx: 'typo' });

export const mcpEventStore: McpEventStore = new McpSessionEventStore(store, 'mcp-session');
export const priming: McpStoredMessage = {};
export const progress: McpJsonRpcMessage = { jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } };
// @ts-expect-error a JSON-RPC message has a method, a result or an error
export const notAMessage: McpJsonRpcMessage = { jsonrpc: '2.0', id: 1 };

export const transportOptions: ResumableStreamableHttpTransportOptions = { store, retryInterval: 1_000 };
export type Transport = ResumableStreamableHttpTransport;
// @ts-expect-error the transport is always stateful
export const statelessTransport: ResumableStreamableHttpTransportOptions = { statefulMode: false };

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly store: SseEventStoreHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.store.isHealthy()]);
  }

  storeOnly(): Promise<HealthIndicatorResult<'events'>> {
    return this.store.isHealthy('events', { timeout: 500 });
  }
}

@Module({ imports: [TerminusModule, AppModule], controllers: [HealthController], providers: [SseEventStoreHealthIndicator] })
export class HealthModule {}

export const healthDetails: SseEventStoreHealthDetails = { storage: 'redis', wakeup: 'redis-pubsub', readersWokenBy: 'polling' };
// @ts-expect-error readers are woken by push or by polling
export const wrongDetails: SseEventStoreHealthDetails = { storage: 'memory', wakeup: 'local', readersWokenBy: 'pubsub' };
`;

/**
 * Checked where a resolution honours "exports": a path outside it must not resolve. node10
 * resolution ignores "exports" (and reaches any file of the package), so the classic setup of
 * TypeScript 5 leaves this file out.
 */
export const exportsOnlyConsumer = `// @ts-expect-error a path outside the package's "exports" does not resolve
import type {} from '${PACKAGE_NAME}/dist/sse-event-store';
`;

/** The optional peers that `/mcp-nest` needs; a consumer that imports its types has them installed. */
export const MCP_NEST_PEERS = ['@rekog/mcp-nest', '@modelcontextprotocol/node', '@modelcontextprotocol/server'] as const;

/** The TypeScript compilers a consumer is checked with: npm aliases of each major version (TypeScript 7 is the native port). */
export const TYPESCRIPT_COMPILERS = [
  { major: 5, package: 'typescript5' },
  { major: 7, package: 'typescript7' },
] as const;

export type TypeScriptMajor = (typeof TYPESCRIPT_COMPILERS)[number]['major'];

/**
 * How a consumer project is set up: `classic` is the tsconfig Nest projects have long been
 * generated with (CommonJS, node10 resolution, ES2021, decorators with metadata); `node16` and
 * `nodenext` are Node's own module settings.
 */
export type ConsumerSetup = 'classic' | 'node16' | 'nodenext';

/**
 * A consumer's tsconfig for a setup and a TypeScript major version.
 *
 * - `classic`: TypeScript 5 resolves the subpaths (`/testing`, `/mcp`, `/mcp-nest`) through the
 *   package's `typesVersions`, as node10 resolution ignores "exports". TypeScript 7 refuses
 *   `"moduleResolution": "node10"` (and its alias `"node"`: TS5108, "has been removed") and
 *   `baseUrl` (TS5102); the closest classic setup it takes is the same tsconfig without both,
 *   where `"module": "commonjs"` resolves like a bundler in CommonJS mode (conditions `require`
 *   and `types`, "exports" honoured). (TypeScript 6 still takes both, deprecated, with
 *   `"ignoreDeprecations": "6.0"`.)
 * - `nodenext`: the declaration files are checked too (`skipLibCheck: false`), as in `classic`.
 * - `node16` predates require(esm), so under it a CommonJS declaration file that imports an
 *   ESM-only package (Nest 12) is flagged even though Node loads it: that setting is checked as
 *   Nest projects run it, with `skipLibCheck: true`.
 */
export function consumerTsconfig(setup: ConsumerSetup, major: TypeScriptMajor): string {
  const classic = {
    target: 'ES2021',
    module: 'commonjs',
    ...(major < 7 && { moduleResolution: 'node10', baseUrl: './' }),
    declaration: true,
    skipLibCheck: false,
  };
  const node = { target: 'ES2022', module: setup, moduleResolution: setup, skipLibCheck: setup === 'node16' };
  const exportsHonoured = setup !== 'classic' || major >= 7;
  return `${JSON.stringify(
    {
      compilerOptions: {
        ...(setup === 'classic' ? classic : node),
        strict: true,
        noEmit: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        types: ['node'],
      },
      files: exportsHonoured ? ['consumer.ts', 'exports-only.ts'] : ['consumer.ts'],
    },
    null,
    2,
  )}\n`;
}

/** One diagnostic of `tsc --pretty false`, continuation lines included. */
export interface TscDiagnostic {
  /** As tsc prints it, relative to the project; `''` for a diagnostic without a file. */
  file: string;
  line: number;
  code: string;
  text: string;
}

/** Splits `tsc --pretty false` output into diagnostics. */
export function parseTscOutput(output: string): TscDiagnostic[] {
  const diagnostics: TscDiagnostic[] = [];
  for (const line of output.split('\n')) {
    if (!line.trim()) continue;
    const located = /^(.+?)\((\d+),\d+\): error (TS\d+):/.exec(line);
    const global = /^error (TS\d+):/.exec(line);
    if (located) diagnostics.push({ file: located[1], line: Number(located[2]), code: located[3], text: line });
    else if (global) diagnostics.push({ file: '', line: 0, code: global[1], text: line });
    else if (diagnostics.length > 0) diagnostics[diagnostics.length - 1].text += `\n${line}`;
    else diagnostics.push({ file: '', line: 0, code: '', text: line });
  }
  return diagnostics;
}
