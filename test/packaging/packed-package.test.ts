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
  PACKAGE_NAME,
  applicationEnv,
  commonJsApplication,
  consumerTsconfig,
  createApp,
  esmApplication,
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
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dependencies?: Record<string, string>;
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
  resolved: { main: string; testing: string; deep: string };
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
    assert.ok(entries.some((entry) => /^readme(\.md)?$/i.test(entry)), 'README is missing from the tarball');
    assert.ok(entries.some((entry) => /^licen[cs]e(\.md|\.txt)?$/i.test(entry)), 'LICENSE is missing from the tarball');
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
      assert.ok(typeof manifest.exports === 'object' && manifest.exports !== null && subpath in manifest.exports, `"exports" has no ${subpath}`);
    }
    const targets = [manifest.main, manifest.types, ...exportTargets(manifest.exports)];
    for (const target of targets) {
      assert.ok(target, 'main and types are set');
      assert.ok(entries.includes(target.replace(/^\.\//, '')), `${target} is not in the tarball`);
    }
    assert.deepEqual(manifest.dependencies ?? {}, {}, 'the library has peer dependencies only');
  });
});

for (const flavor of ['commonjs', 'module'] as const) {
  // The run and the two compiles are independent: let them share the CPU.
  describe(`${flavor === 'commonjs' ? 'a CommonJS' : 'an ESM'} application`, { concurrency: 3 }, () => {
    let app: string;

    before(async () => {
      app = join(work, `${flavor}-app`);
      await createApp({
        directory: app,
        flavor,
        tarball,
        root,
        // Only the required peers (and what the application itself uses) are installed:
        // the main entry and /testing must load without the optional ones.
        links: [...requiredPeers(manifest), 'reflect-metadata', '@types/node'],
        files: {
          'main.js': flavor === 'commonjs' ? commonJsApplication : esmApplication,
          'consumer.ts': typeScriptConsumer,
          'tsconfig.node16.json': consumerTsconfig('node16'),
          'tsconfig.nodenext.json': consumerTsconfig('nodenext'),
        },
      });
    });

    test('boots SseEventStoreModule.forRoot(), writes events and reads them back', { timeout: 120_000 }, async () => {
      const { stdout } = await run(process.execPath, ['main.js'], { cwd: app, env: applicationEnv() });
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('PACKAGING-RESULT '));
      assert.ok(line, `the application printed no result:\n${stdout}`);
      const result = JSON.parse(line.slice('PACKAGING-RESULT '.length)) as ApplicationResult;

      assert.equal(result.flavor, flavor);
      // Loaded through the installed package's "exports", nothing else.
      const installed = join(app, 'node_modules', PACKAGE_NAME);
      assert.equal(result.resolved.main, join(installed, 'dist', 'index.js'));
      assert.equal(result.resolved.testing, join(installed, 'dist', 'testing', 'index.js'));
      assert.equal(result.resolved.deep, 'ERR_PACKAGE_PATH_NOT_EXPORTED');

      assert.equal(result.storeIsSseEventStore, true);
      assert.equal(result.standaloneIsSseEventStore, true);
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

    for (const moduleKind of ['node16', 'nodenext'] as const) {
      test(`type-checks a TypeScript consumer (module ${moduleKind})`, { timeout: 180_000 }, async () => {
        const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
        const result = await runToExit(process.execPath, [tsc, '--pretty', 'false', '-p', `tsconfig.${moduleKind}.json`], {
          cwd: app,
          env: applicationEnv(),
          timeout: 180_000,
        });
        const diagnostics = parseTscOutput(result.stdout + result.stderr);
        const consumerLines = typeScriptConsumer.split('\n');
        const nest = await readJson<{ type?: string }>(join(root, 'node_modules', '@nestjs', 'common', 'package.json'));
        const relevant = diagnostics.filter((diagnostic) => {
          // Errors inside other packages' declaration files are theirs to fix.
          const ours =
            diagnostic.file === '' || diagnostic.file === 'consumer.ts' || diagnostic.file.startsWith(`node_modules/${PACKAGE_NAME}/`);
          if (!ours) return false;
          // A node16 CommonJS project cannot import an ESM-only Nest (12) at all; that is not this package's doing.
          const nestItself =
            moduleKind === 'node16' &&
            flavor === 'commonjs' &&
            nest.type === 'module' &&
            diagnostic.file === 'consumer.ts' &&
            diagnostic.code === 'TS1479' &&
            /from '@nestjs\//.test(consumerLines[diagnostic.line - 1] ?? '');
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
  });
}
