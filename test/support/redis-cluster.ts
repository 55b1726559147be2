import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@redis/client';

/** A Redis Cluster of a test's own: a few masters without replicas on loopback ports. */
export interface RedisClusterProcesses {
  /** One node's URL per master; a cluster client needs only one to discover the rest. */
  readonly urls: string[];
  /** Kills every node and removes their directories. */
  dispose(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;
const run = promisify(execFile);

/**
 * Starts `masters` redis-server processes in cluster mode, joins them into one cluster with
 * `redis-cli --cluster create` (slots spread evenly) and resolves once every node reports the
 * cluster ok. Rejects when the binaries are missing or the cluster does not form: tests that need
 * it fail rather than skip.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterProcesses> {
  const dir = await mkdtemp(join(tmpdir(), 'sse-redis-cluster-'));
  const children: ChildProcess[] = [];
  const killAll = (): void => children.forEach((child) => child.kill('SIGKILL'));
  process.once('exit', killAll);
  const dispose = async (): Promise<void> => {
    await Promise.all(
      children.map((child) =>
        child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((resolve) => child.once('exit', resolve).kill('SIGKILL')),
      ),
    );
    process.removeListener('exit', killAll);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let index = 0; index < masters; index++) ports.push(await freePort(ports));
    for (const port of ports) {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`];
      const child = spawn('redis-server', [...args, '--save', '', '--appendonly', 'no', '--dir', dir], { cwd: dir, stdio: 'ignore' });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.once('error', (error) => reject(new Error(`redis-server could not be started: ${error.message}`)));
        child.once('spawn', () => resolve());
      });
    }
    await Promise.all(ports.map((port) => waitFor(port, async (client) => (await client.ping()) === 'PONG')));
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], { timeout: READY_TIMEOUT_MS });
    await Promise.all(ports.map((port) => waitFor(port, async (client) => String(await client.clusterInfo()).includes('cluster_state:ok'))));
    return { urls: ports.map((port) => `redis://127.0.0.1:${port}`), dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

function freePort(taken: number[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        const port = typeof address === 'object' && address ? address.port : 0;
        // A cluster node also listens on its port + 10000 (the cluster bus).
        if (port === 0 || port > 55_000 || taken.includes(port)) freePort(taken).then(resolve, reject);
        else resolve(port);
      });
    });
  });
}

/** The commands the readiness checks use. */
interface NodeClient {
  ping(): Promise<string>;
  clusterInfo(): Promise<unknown>;
}

/** Polls the node on `port` until `ready` holds. */
async function waitFor(port: number, ready: (client: NodeClient) => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if (await ready(client)) return;
    } catch {
      // not up yet
    } finally {
      if (client.isOpen) client.destroy();
    }
    if (Date.now() > deadline) throw new Error(`Redis cluster node on port ${port} was not ready within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
