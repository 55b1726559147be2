import net from 'node:net';

/** Where one accepted connection went, and how its two sides ended. */
export interface FrontConnection {
  /** Index of the target it was relayed to; `undefined` while connecting, or when none accepted. */
  target?: number;
  /** Socket errors of the target's side (`ECONNRESET`, ...) after it was connected. */
  upstreamError?: string;
  /** Socket errors of the client's side. */
  clientError?: string;
  /** No target accepted it: the client's connection was reset. */
  unrouted?: boolean;
}

/**
 * A TCP front for several instances of one application, as a load balancer with a health check
 * would be: each new client connection goes to the first target, in order, that accepts a TCP
 * connection, and is relayed byte for byte in both directions for as long as it lasts (half
 * closes included). An instance that stops listening (a graceful shutdown closes its listener)
 * gets no new connections; the connections it still serves stay with it until it ends them.
 *
 * A reset from the target is passed on to the client as a reset, and counted, so a test sees
 * every connection an instance dropped instead of closing it.
 */
export class FailoverTcpFront {
  readonly connections: FrontConnection[] = [];
  /** Connection attempts each target refused (it was not listening). */
  readonly refusals: number[];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    private readonly targets: readonly number[],
    /** `http://127.0.0.1:<port>` */
    readonly url: string,
  ) {
    this.refusals = targets.map(() => 0);
  }

  /** Listens on a free loopback port; `targetPorts` are loopback ports, in order of preference. */
  static async start(targetPorts: readonly number[]): Promise<FailoverTcpFront> {
    const server = net.createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as net.AddressInfo;
    const front = new FailoverTcpFront(server, targetPorts, `http://127.0.0.1:${port}`);
    server.on('connection', (client) => front.accept(client));
    return front;
  }

  /** How many connections went to each target. */
  get connectionsPerTarget(): number[] {
    return this.targets.map((_, index) => this.connections.filter((connection) => connection.target === index).length);
  }

  /** Connections a target reset or broke (its side had a socket error). */
  get upstreamErrors(): string[] {
    return this.connections.flatMap((connection) =>
      connection.upstreamError ? [`target ${connection.target}: ${connection.upstreamError}`] : [],
    );
  }

  /** Connections no target accepted. */
  get unrouted(): number {
    return this.connections.filter((connection) => connection.unrouted).length;
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private accept(client: net.Socket): void {
    const connection: FrontConnection = {};
    this.connections.push(connection);
    this.track(client);
    client.pause();
    let upstream: net.Socket | undefined;
    client.on('error', (error: NodeJS.ErrnoException) => {
      connection.clientError ??= error.code ?? error.message;
      upstream?.destroy();
    });
    client.once('close', () => upstream?.destroy());
    const tryTarget = (index: number): void => {
      if (client.destroyed) return;
      if (index >= this.targets.length) {
        connection.unrouted = true;
        client.resetAndDestroy();
        return;
      }
      const socket = net.connect({ port: this.targets[index], host: '127.0.0.1', allowHalfOpen: true });
      this.track(socket);
      const refused = (error: NodeJS.ErrnoException): void => {
        if (error.code === 'ECONNREFUSED') this.refusals[index]++;
        tryTarget(index + 1);
      };
      socket.once('error', refused);
      socket.once('connect', () => {
        socket.removeListener('error', refused);
        connection.target = index;
        upstream = socket;
        socket.on('error', (error: NodeJS.ErrnoException) => {
          connection.upstreamError ??= error.code ?? error.message;
          // Passed on as what it was: the client sees its connection reset.
          if (!client.destroyed) client.resetAndDestroy();
        });
        client.pipe(socket);
        socket.pipe(client);
        client.resume();
      });
    };
    tryTarget(0);
  }
}
