import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@redis/client';

/** One redis-server process of the cluster. */
export interface RedisClusterNode {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
}

export interface RedisClusterOptions {
  /** How many masters share the slots (default 3). */
  masters?: number;
  /** Replicas of each master (default 0). */
  replicasPerMaster?: number;
  /**
   * `cluster-node-timeout`: how long a node may be unreachable before the others fail it over.
   * Defaults to 1000 ms with replicas (a quick failover), Redis's own default without.
   */
  nodeTimeoutMs?: number;
}

/** A Redis Cluster of a test's own, on loopback ports. */
export interface RedisClusterProcesses {
  /** Every node's URL; a cluster client needs only one reachable node to discover the rest. */
  readonly urls: string[];
  readonly nodes: readonly RedisClusterNode[];
  /** The nodes that serve slots now, as a live node reports them. */
  masters(): Promise<RedisClusterNode[]>;
  /** The master that serves `slot` now, as a live node reports it. */
  masterOf(slot: number): Promise<RedisClusterNode>;
  /** The replicas of `master`, as a live node reports them. */
  replicasOf(master: RedisClusterNode): Promise<RedisClusterNode[]>;
  /** SIGKILL: the node gets no chance to send anything more to its replicas. Resolves once it has exited. */
  kill(node: RedisClusterNode): Promise<void>;
  /**
   * Resolves once the slots of the killed `master` are served by one of its replicas and every
   * live node reports `cluster_state:ok`: the promoted replica, and how long that took from the call.
   */
  waitForFailover(master: RedisClusterNode): Promise<{ promoted: RedisClusterNode; elapsedMs: number }>;
  /** Kills every node and removes their directories. */
  dispose(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;
const run = promisify(execFile);

/** A slot range as `CLUSTER SLOTS` answers it: the master first, then its replicas. */
interface SlotRange {
  from: number;
  to: number;
  master: { port: number };
  replicas: { port: number }[];
}

/** The commands the topology checks use. */
interface NodeClient {
  ping(): Promise<string>;
  clusterInfo(): Promise<unknown>;
  clusterSlots(): Promise<unknown>;
  info(section: string): Promise<unknown>;
}

/**
 * Starts redis-server processes in cluster mode, joins them into one cluster with
 * `redis-cli --cluster create` (slots spread evenly over the masters, each with its replicas) and
 * resolves once every node reports the cluster ok and every replica is in sync with its master.
 * Rejects when the binaries are missing or the cluster does not form: tests that need it fail
 * rather than skip.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterProcesses> {
  const { masters = 3, replicasPerMaster = 0 } = options;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? (replicasPerMaster > 0 ? 1_000 : undefined);
  const dir = await mkdtemp(join(tmpdir(), 'sse-redis-cluster-'));
  const children = new Map<number, ChildProcess>();
  const killAll = (): void =>
    children.forEach((child) => {
      child.kill('SIGKILL');
    });
  process.once('exit', killAll);
  const kill = (port: number): Promise<void> => {
    const child = children.get(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => child.once('exit', () => resolve()).kill('SIGKILL'));
  };
  const dispose = async (): Promise<void> => {
    await Promise.all([...children.keys()].map(kill));
    process.removeListener('exit', killAll);
    await rm(dir, { recursive: true, force: true });
  };
  const isAlive = (port: number): boolean => {
    const child = children.get(port);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  };
  try {
    const ports: number[] = [];
    for (let index = 0; index < masters * (1 + replicasPerMaster); index++) ports.push(await freePort(ports));
    for (const port of ports) {
      const args = [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
      ];
      if (nodeTimeoutMs !== undefined) args.push('--cluster-node-timeout', String(nodeTimeoutMs));
      const child = spawn('redis-server', [...args, '--save', '', '--appendonly', 'no', '--dir', dir], { cwd: dir, stdio: 'ignore' });
      children.set(port, child);
      await new Promise<void>((resolve, reject) => {
        child.once('error', (error) => reject(new Error(`redis-server could not be started: ${error.message}`)));
        child.once('spawn', () => resolve());
      });
    }
    await Promise.all(ports.map((port) => waitFor(port, async (client) => (await client.ping()) === 'PONG')));
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    const create = ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'];
    await run('redis-cli', create, { timeout: READY_TIMEOUT_MS });
    await Promise.all(
      ports.map((port) =>
        waitFor(port, async (client) => {
          if (!String(await client.clusterInfo()).includes('cluster_state:ok')) return false;
          // Every node must know every replica (or a failover could not be voted for), and a
          // replica must hold its master's data before a test relies on it.
          const ranges = await slotRanges(client);
          if (ranges.some((range) => range.replicas.length < replicasPerMaster)) return false;
          const replication = String(await client.info('replication'));
          return replication.includes('role:master') || replication.includes('master_link_status:up');
        }),
      ),
    );
    const nodes = ports.map((port) => ({ port, url: `redis://127.0.0.1:${port}` }));
    const byPort = (port: number): RedisClusterNode => {
      const node = nodes.find((candidate) => candidate.port === port);
      if (!node) throw new Error(`Port ${port} is not a node of this cluster`);
      return node;
    };
    /** The slot ranges as the first live node reports them. */
    const topology = async (): Promise<SlotRange[]> => {
      const live = ports.find(isAlive);
      if (live === undefined) throw new Error('No node of the cluster is running');
      return withClient(live, slotRanges);
    };
    return {
      urls: nodes.map((node) => node.url),
      nodes,
      masters: async () => [...new Set((await topology()).map((range) => range.master.port))].map(byPort),
      masterOf: async (slot) => {
        const range = (await topology()).find(({ from, to }) => from <= slot && slot <= to);
        if (!range) throw new Error(`No node serves slot ${slot}`);
        return byPort(range.master.port);
      },
      replicasOf: async (master) => {
        const range = (await topology()).find((candidate) => candidate.master.port === master.port);
        return (range?.replicas ?? []).map((replica) => byPort(replica.port));
      },
      kill: (node) => kill(node.port),
      waitForFailover: async (master) => {
        const started = Date.now();
        const served = (await topology()).filter((range) => range.master.port === master.port);
        let promoted: number | undefined;
        const live = ports.filter(isAlive);
        await Promise.all(
          live.map((port) =>
            waitFor(port, async (client) => {
              if (!String(await client.clusterInfo()).includes('cluster_state:ok')) return false;
              const ranges = await slotRanges(client);
              const owners = served.map(({ from }) => ranges.find((range) => range.from <= from && from <= range.to)?.master.port);
              if (owners.some((owner) => owner === undefined || owner === master.port)) return false;
              promoted = owners[0];
              return true;
            }),
          ),
        );
        return { promoted: byPort(promoted!), elapsedMs: Date.now() - started };
      },
      dispose,
    };
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

async function slotRanges(client: NodeClient): Promise<SlotRange[]> {
  return (await client.clusterSlots()) as SlotRange[];
}

/** Runs `use` on a short-lived connection to the node on `port`. */
async function withClient<T>(port: number, use: (client: NodeClient) => Promise<T>): Promise<T> {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false, connectTimeout: 2_000 } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await use(client);
  } finally {
    if (client.isOpen) client.destroy();
  }
}

/** Polls the node on `port` until `ready` holds. */
async function waitFor(port: number, ready: (client: NodeClient) => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      if (await withClient(port, ready)) return;
    } catch {
      // not up yet, or the cluster is changing
    }
    if (Date.now() > deadline) throw new Error(`Redis cluster node on port ${port} was not ready within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
