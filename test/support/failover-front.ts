import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';

/** An instance behind the front. */
export interface FrontTarget {
  name: string;
  port: number;
}

/** One client connection the front took, and where it went. */
export interface FrontConnection {
  /** The target that accepted it; `undefined` while connecting, or when none did. */
  target?: string;
  /** Targets that refused it first (their process is gone). */
  refusedBy: string[];
}

/**
 * A TCP front for instances of an app, as a load balancer with health checks would be: each
 * client connection goes to the first target that accepts it, so clients reach the first
 * instance while it runs and the next one once it is gone. Bytes are forwarded untouched; when
 * either side's connection ends or breaks, the other side's is destroyed, so a client whose
 * instance died sees its connection break, as it would behind a real balancer.
 */
export class FailoverFront {
  readonly connections: FrontConnection[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly targets: readonly FrontTarget[],
    /** `http://127.0.0.1:<port>` */
    readonly url: string,
  ) {}

  static async start(targets: readonly FrontTarget[]): Promise<FailoverFront> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const front = new FailoverFront(server, targets, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('connection', (client) => front.accept(client));
    return front;
  }

  /** Closes the listener and every connection it forwards. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: Socket): Socket {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined); // a broken side is handled by 'close'
    return socket;
  }

  private accept(client: Socket): void {
    this.track(client).pause();
    const record: FrontConnection = { refusedBy: [] };
    this.connections.push(record);
    const tryTarget = (index: number): void => {
      if (client.destroyed) return;
      const target = this.targets[index];
      if (!target) {
        client.destroy();
        return;
      }
      const upstream = connect({ host: '127.0.0.1', port: target.port });
      upstream.once('error', () => undefined);
      const refused = (): void => {
        record.refusedBy.push(target.name);
        tryTarget(index + 1);
      };
      upstream.once('close', refused);
      upstream.once('connect', () => {
        upstream.removeListener('close', refused);
        record.target = target.name;
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        this.track(upstream);
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
      });
    };
    tryTarget(0);
  }
}
