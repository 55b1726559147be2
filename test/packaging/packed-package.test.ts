// The package as npm publishes it: what the tarball holds, and that CommonJS and ESM
// applications (and TypeScript projects of both kinds) can install and use it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type AppFlavor,
  type ConsumerSetup,
  MCP_NEST_PEERS,
  PACKAGE_NAME,
  TERMINUS_PEERS,
  TYPESCRIPT_COMPILERS,
  applicationEnv,
  commonJsApplication,
  commonJsHealthApplication,
  consumerTsconfig,
  createApp,
  esmApplication,
  esmHealthApplication,
  exportsOnlyConsumer,
  findRepositoryRoot,
  listFiles,
  listTarball,
  packPackage,
  readJson,
  parseTscOutput,
  run,
  runToExit,
  typeScriptConsumer,
} from './packed-package';

type ExportsValue = string | null | { [key: string]: ExportsValue } | ExportsValue[];

/** Every file path named in an "exports" value, through its nested conditions. */
function exportTargets(value: ExportsValue): string[] {
  if (value === null) return [];
  if (typeof value === 'string') return [value];
  return (Array.isArray(value) ? value : Object.values(value)).flatMap(exportTargets);
}

interface PackedManifest {
  name: string;
  main?: string;
  types?: string;
  type?: string;
  exports: ExportsValue;
  typesVersions?: Record<string, Record<string, string[]>>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dependencies?: Record<string, string>;
}

interface HealthApplicationResult {
  flavor: AppFlavor;
  health: Record<string, unknown>;
  resolved: string;
}

/** Runs an application's main.js and parses the line it prints its result on. */
async function applicationResult<T>(directory: string): Promise<T> {
  const { stdout } = await run(process.execPath, ['main.js'], { cwd: directory, env: applicationEnv() });
  const line = stdout.split('\n').find((candidate) => candidate.startsWith('PACKAGING-RESULT '));
  assert.ok(line, `the application printed no result:\n${stdout}`);
  return JSON.parse(line.slice('PACKAGING-RESULT '.length)) as T;
}

interface EventJson {
  id: string;
  data: unknown;
  type?: string;
}

interface RoundTrip {
  written: string[];
  all: EventJson[];
  afterFirst: EventJson[];
}

interface ApplicationResult {
  flavor: AppFlavor;
  storeIsSseEventStore: boolean;
  standaloneIsSseEventStore: boolean;
  mcpSessionEventStoreIsClass: boolean;
  resolved: { main: string; testing: string; mcp: string; terminus: string; deep: string };
  viaModule: RoundTrip;
  viaTesting: RoundTrip;
}

function requiredPeers(packed: PackedManifest): string[] {
  return Object.keys(packed.peerDependencies).filter((name) => !packed.peerDependenciesMeta?.[name]?.optional);
}

const root = findRepositoryRoot();
let work: string;
let tarball: string;
let entries: string[];
let manifest: PackedManifest;

before(
  async () => {
    work = realpathSync(await mkdtemp(join(tmpdir(), 'sse-packaging-')));
    tarball = await packPackage(root, work);
    entries = await listTarball(tarball);
    manifest = JSON.parse((await run('tar', ['-xzOf', tarball, 'package/package.json'], { cwd: work })).stdout) as PackedManifest;
  },
  { timeout: 300_000 },
);

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  test('holds only the build, package.json, README and LICENSE', () => {
    const allowed = /^(package\.json|(readme|license|licence)(\.md|\.txt)?|dist\/.+(\.js|\.d\.ts))$/i;
    const unexpected = entries.filter((entry) => !allowed.test(entry));
    assert.deepEqual(unexpected, [], `unexpected files in the tarball:\n${unexpected.join('\n')}`);
    for (const entry of entries) {
      assert.doesNotMatch(entry, /\.map$|^(lib|test|sample|bench|build|node_modules|\.ci)\//, entry);
    }
    for (const required of ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/testing/index.js', 'dist/testing/index.d.ts']) {
      assert.ok(entries.includes(required), `${required} is missing from the tarball`);
    }
    assert.ok(
      entries.some((entry) => /^readme(\.md)?$/i.test(entry)),
      'README is missing from the tarball',
    );
    assert.ok(
      entries.some((entry) => /^licen[cs]e(\.md|\.txt)?$/i.test(entry)),
      'LICENSE is missing from the tarball',
    );
  });

  test('has a compiled .js and .d.ts for every source file of lib/', async () => {
    const sources = (await listFiles(join(root, 'lib'))).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
    assert.ok(sources.length > 0);
    const missing = sources
      .flatMap((file) => [`dist/${file.replace(/\.ts$/, '.js')}`, `dist/${file.replace(/\.ts$/, '.d.ts')}`])
      .filter((file) => !entries.includes(file));
    assert.deepEqual(missing, [], `built files missing from the tarball:\n${missing.join('\n')}`);
  });

  test('points main, types and every "exports" target at files it holds', () => {
    assert.equal(manifest.name, PACKAGE_NAME);
    assert.notEqual(manifest.type, 'module', 'dist/ is CommonJS: the package must not be "type": "module"');
    for (const subpath of ['.', './testing', './package.json']) {
      assert.ok(
        typeof manifest.exports === 'object' && manifest.exports !== null && subpath in manifest.exports,
        `"exports" has no ${subpath}`,
      );
    }
    const targets = [manifest.main, manifest.types, ...exportTargets(manifest.exports)];
    for (const target of targets) {
      assert.ok(target, 'main and types are set');
      assert.ok(entries.includes(target.replace(/^\.\//, '')), `${target} is not in the tarball`);
    }
    assert.deepEqual(manifest.dependencies ?? {}, {}, 'the library has peer dependencies only');
  });

  test('maps every subpath of "exports" in "typesVersions", to the same declarations, for node10 resolution', () => {
    assert.ok(typeof manifest.exports === 'object' && manifest.exports !== null && !Array.isArray(manifest.exports));
    const subpaths = Object.keys(manifest.exports).filter((subpath) => subpath !== '.' && subpath !== './package.json');
    assert.ok(subpaths.length >= 3, `"exports" has subpaths: ${subpaths.join(', ')}`);
    const mapping = manifest.typesVersions?.['*'] ?? {};
    assert.deepEqual(
      Object.keys(mapping).sort(),
      subpaths.map((subpath) => subpath.slice(2)).sort(),
      'typesVersions maps exactly the subpaths',
    );
    for (const subpath of subpaths) {
      const conditions = (manifest.exports as Record<string, ExportsValue>)[subpath] as Record<string, ExportsValue>;
      const mapped = mapping[subpath.slice(2)];
      assert.deepEqual(mapped, [conditions.types], `typesVersions of ${subpath} names its "types" target`);
      assert.ok(entries.includes(mapped[0].replace(/^\.\//, '')), `${mapped[0]} is not in the tarball`);
    }
  });
});

for (const flavor of ['commonjs', 'module'] as const) {
  // The run and the compiles are independent: let them share the CPU.
  describe(`${flavor === 'commonjs' ? 'a CommonJS' : 'an ESM'} application`, { concurrency: 3 }, () => {
    let app: string;
    let healthApp: string;
    let consumer: string;
    // Nest projects generated with the classic tsconfig are CommonJS.
    const setups: ConsumerSetup[] = flavor === 'commonjs' ? ['classic', 'node16', 'nodenext'] : ['node16', 'nodenext'];

    before(async () => {
      app = join(work, `${flavor}-app`);
      healthApp = join(work, `${flavor}-health-app`);
      consumer = join(work, `${flavor}-typescript-consumer`);
      // Only the required peers (and what the application itself uses) are installed:
      // the main entry, /testing and /mcp must load without the optional ones.
      const applicationLinks = [...requiredPeers(manifest), 'reflect-metadata', '@types/node'];
      const tsconfigs = Object.fromEntries(
        setups.flatMap((setup) =>
          TYPESCRIPT_COMPILERS.map(({ major }) => [`tsconfig.${setup}.ts${major}.json`, consumerTsconfig(setup, major)]),
        ),
      );
      await Promise.all([
        createApp({
          directory: app,
          flavor,
          tarball,
          root,
          links: applicationLinks,
          files: { 'main.js': flavor === 'commonjs' ? commonJsApplication : esmApplication },
        }),
        // /terminus with the one optional peer it needs.
        createApp({
          directory: healthApp,
          flavor,
          tarball,
          root,
          links: [...applicationLinks, ...TERMINUS_PEERS],
          files: { 'main.js': flavor === 'commonjs' ? commonJsHealthApplication : esmHealthApplication },
        }),
        // The consumer also imports the types of /mcp-nest and /terminus, which come from their optional peers.
        createApp({
          directory: consumer,
          flavor,
          tarball,
          root,
          links: [...applicationLinks, ...MCP_NEST_PEERS, ...TERMINUS_PEERS],
          files: { 'consumer.ts': typeScriptConsumer, 'exports-only.ts': exportsOnlyConsumer, ...tsconfigs },
        }),
      ]);
    });

    test('boots SseEventStoreModule.forRoot(), writes events and reads them back', { timeout: 120_000 }, async () => {
      const result = await applicationResult<ApplicationResult>(app);

      assert.equal(result.flavor, flavor);
      // Loaded through the installed package's "exports", nothing else.
      const installed = join(app, 'node_modules', PACKAGE_NAME);
      assert.equal(result.resolved.main, join(installed, 'dist', 'index.js'));
      assert.equal(result.resolved.testing, join(installed, 'dist', 'testing', 'index.js'));
      assert.equal(result.resolved.mcp, join(installed, 'dist', 'mcp', 'index.js'));
      assert.equal(result.resolved.terminus, join(installed, 'dist', 'terminus', 'index.js'));
      assert.equal(result.resolved.deep, 'ERR_PACKAGE_PATH_NOT_EXPORTED');

      assert.equal(result.storeIsSseEventStore, true);
      assert.equal(result.standaloneIsSseEventStore, true);
      assert.equal(result.mcpSessionEventStoreIsClass, true, '/mcp loads without an MCP SDK');
      for (const [sessionId, trip] of [
        [`module-${flavor}`, result.viaModule],
        [`testing-${flavor}`, result.viaTesting],
      ] as const) {
        assert.equal(trip.written.length, 2);
        assert.notEqual(trip.written[0], trip.written[1]);
        assert.deepEqual(trip.all, [
          { id: trip.written[0], data: { n: 1, sessionId } },
          { id: trip.written[1], type: 'note', data: 'two' },
        ]);
        assert.deepEqual(trip.afterFirst, [{ id: trip.written[1], type: 'note', data: 'two' }]);
      }
    });

    test('runs the terminus health indicator from /terminus in a Nest application', { timeout: 120_000 }, async () => {
      const result = await applicationResult<HealthApplicationResult>(healthApp);
      assert.equal(result.flavor, flavor);
      assert.equal(result.resolved, join(healthApp, 'node_modules', PACKAGE_NAME, 'dist', 'terminus', 'index.js'));
      assert.deepEqual(result.health, {
        sseEventStore: { status: 'up', storage: 'memory', wakeup: 'local', readersWokenBy: 'push' },
      });
    });

    for (const setup of setups) {
      for (const { major, package: compiler } of TYPESCRIPT_COMPILERS) {
        test(`type-checks a TypeScript consumer (${setup} tsconfig, TypeScript ${major})`, { timeout: 180_000 }, async () => {
          const tsc = join(root, 'node_modules', compiler, 'bin', 'tsc');
          const installed = await readJson<{ version: string }>(join(root, 'node_modules', compiler, 'package.json'));
          assert.equal(Number(installed.version.split('.')[0]), major, `${compiler} is TypeScript ${major}`);
          const result = await runToExit(process.execPath, [tsc, '--pretty', 'false', '-p', `tsconfig.${setup}.ts${major}.json`], {
            cwd: consumer,
            env: applicationEnv(),
            timeout: 180_000,
          });
          const diagnostics = parseTscOutput(result.stdout + result.stderr);
          const consumerLines = typeScriptConsumer.split('\n');
          // The Nest packages the consumer imports that are ESM only (all of Nest 12; @nestjs/terminus 12 beside Nest 11 too).
          const esmOnly = new Set<string>();
          for (const name of new Set(typeScriptConsumer.match(/(?<=from ')@nestjs\/[^']+(?=')/g) ?? [])) {
            const manifest = await readJson<{ type?: string }>(join(root, 'node_modules', name, 'package.json'));
            if (manifest.type === 'module') esmOnly.add(name);
          }
          const relevant = diagnostics.filter((diagnostic) => {
            // Errors inside other packages' declaration files are theirs to fix; a refused compiler option is ours.
            const ours =
              diagnostic.file === '' ||
              diagnostic.file.startsWith('tsconfig.') ||
              diagnostic.file === 'consumer.ts' ||
              diagnostic.file === 'exports-only.ts' ||
              diagnostic.file.startsWith(`node_modules/${PACKAGE_NAME}/`);
            if (!ours) return false;
            // A node16 CommonJS project cannot import an ESM-only Nest package at all; that is not this package's doing.
            const importedFrom = /from '(@nestjs\/[^']+)'/.exec(consumerLines[diagnostic.line - 1] ?? '')?.[1];
            const nestItself =
              setup === 'node16' &&
              flavor === 'commonjs' &&
              diagnostic.file === 'consumer.ts' &&
              diagnostic.code === 'TS1479' &&
              importedFrom !== undefined &&
              esmOnly.has(importedFrom);
            return !nestItself;
          });
          assert.deepEqual(
            relevant.map((diagnostic) => diagnostic.text),
            [],
            `tsc reported errors in the consumer or in the published types:\n${result.stdout}${result.stderr}`,
          );
          if (result.exitCode !== 0) assert.ok(diagnostics.length > 0, `tsc failed without a diagnostic: ${result.failure}`);
        });
      }
    }
  });
}
