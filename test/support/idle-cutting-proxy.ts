import net, { type AddressInfo } from 'node:net';

/**
 * A TCP proxy that behaves like a load balancer with an idle timeout: it forwards bytes both ways
 * untouched, and destroys a connection (both sides) once no byte went through it, in either
 * direction, for `idleTimeoutMs`. It counts connections and cuts.
 */
export class IdleCuttingProxy {
  /** Connections accepted from clients. */
  connections = 0;
  /** Connections destroyed for being idle. */
  cuts = 0;
  private readonly open = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    /** `http://127.0.0.1:<port>` */
    readonly url: string,
    readonly idleTimeoutMs: number,
  ) {}

  /** Listens on a free loopback port and forwards to `targetUrl` (`http://host:port`). */
  static async start(targetUrl: string, idleTimeoutMs: number): Promise<IdleCuttingProxy> {
    const target = new URL(targetUrl);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const proxy = new IdleCuttingProxy(server, `http://127.0.0.1:${port}`, idleTimeoutMs);
    server.on('connection', (client) => proxy.forward(client, target.hostname, Number(target.port)));
    return proxy;
  }

  /** Destroys every open connection and stops listening. */
  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: net.Socket, host: string, port: number): void {
    this.connections++;
    const upstream = net.connect(port, host);
    this.open.add(client).add(upstream);
    const idle = setTimeout(() => {
      this.cuts++;
      client.destroy();
      upstream.destroy();
    }, this.idleTimeoutMs);
    const activity = (): void => void idle.refresh();
    client.on('data', activity);
    upstream.on('data', activity);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = (): void => {
      clearTimeout(idle);
      client.destroy();
      upstream.destroy();
      this.open.delete(client);
      this.open.delete(upstream);
    };
    client.once('close', end);
    upstream.once('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }
}
