// The daemon's HTTP endpoint (--metrics ADDR): /metrics for Prometheus,
// /healthz for whoever watches the service.
import { createServer, type Server } from 'node:http';
import { UsageError } from '../lib/errors.js';
import type { Health } from './health.js';

export interface ListenAddress {
  /** '' for every address */
  host: string;
  port: number;
}

/** "127.0.0.1:9737", "[::1]:9737", ":9737" (every address), "localhost:9737". */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]*)):([0-9]{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new UsageError(`invalid metrics address ${JSON.stringify(text)} (HOST:PORT, [IPV6]:PORT or :PORT, a port from 1 to 65535)`);
  }
  return { host: m[1] ?? m[2] ?? '', port };
}

export interface Endpoints {
  /** the exposition text and its content type */
  metrics(): Promise<{ body: string; contentType: string }>;
  health(): Health;
}

/** Listens on addr; resolves once it does, rejects when it cannot (EADDRINUSE, EACCES). */
export function serve(addr: ListenAddress, endpoints: Endpoints): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      const h = endpoints.health();
      res.writeHead(h.ok ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${h.reason}\n`);
      return;
    }
    if (path === '/metrics') {
      endpoints.metrics().then(
        ({ body, contentType }) => res.writeHead(200, { 'Content-Type': contentType }).end(body),
        (e: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${e instanceof Error ? e.message : String(e)}\n`),
      );
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: /metrics and /healthz are served here\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(`cannot serve metrics on ${addr.host || '*'}:${addr.port}: ${e.code ?? e.message}`, { cause: e })),
    );
    server.listen(addr.port, addr.host || undefined, () => resolve(server));
  });
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
