import net from 'node:net';

/**
 * A TCP relay on 127.0.0.1 in front of a server (the test run's PostgreSQL), that a test can take
 * down as a stopped server goes: every connection cut, new ones refused; and bring back on the
 * same port. The shared PostgreSQL keeps serving the other test files meanwhile.
 */
export interface TcpProxy {
  readonly port: number;
  /** Client bytes relayed so far (a test cuts "in the middle" of its traffic by these). */
  readonly bytesIn: number;
  /** Down: open connections reset, the port closed (ECONNREFUSED). */
  stop(): Promise<void>;
  /** Down once the clients have sent `bytes` more. */
  stopAfter(bytes: number): Promise<void>;
  /** Up again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let bytesIn = 0;
  let trigger: { at: number; fire: () => void } | undefined;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk: Buffer) => {
      bytesIn += chunk.length;
      if (trigger && bytesIn >= trigger.at) trigger.fire();
    });
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const { port } = server.address() as net.AddressInfo;
  const stop = async () => {
    trigger = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.resetAndDestroy();
    await closed;
  };
  return {
    port,
    get bytesIn() {
      return bytesIn;
    },
    stop,
    stopAfter: (bytes) =>
      new Promise<void>((resolve) => {
        trigger = { at: bytesIn + bytes, fire: () => void stop().then(resolve) };
      }),
    start: () => listen(port),
    close: async () => {
      if (server.listening) await stop();
    },
  };
}
