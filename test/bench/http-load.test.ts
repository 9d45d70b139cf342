// The settlement bench's lean HTTP client (bench/http-load.ts): what it sends, what it reads, what it refuses.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { LeanConnection, postRequest } from '../../bench/http-load.ts';

let server: Server | undefined;

async function serve(handler: (request: IncomingMessage, body: string, response: ServerResponse) => void): Promise<number> {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => handler(request, Buffer.concat(chunks).toString('utf8'), response));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

describe('the lean HTTP client of the settlement bench', () => {
  it('sends the path, headers and UTF-8 body, and reads answers one after another on one connection', async () => {
    const seen: string[] = [];
    const port = await serve((request, body, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers.authorization} ${request.headers['content-type']} ${body}`);
      const answer = Buffer.from(JSON.stringify({ echo: body, n: seen.length }), 'utf8');
      response.writeHead(request.url === '/missing' ? 404 : 200, { 'content-type': 'application/json', 'content-length': answer.length });
      response.end(answer);
    });
    const connection = await LeanConnection.open('127.0.0.1', port);
    try {
      const first = await connection.send(postRequest('127.0.0.1', port, '/cards/AB/sync', '{"x":"öre"}', { authorization: 'Bearer t0' }));
      const second = await connection.send(postRequest('127.0.0.1', port, '/missing', '{}', { authorization: 'Bearer t1' }));
      expect(first).toEqual({ status: 200, text: JSON.stringify({ echo: '{"x":"öre"}', n: 1 }) });
      expect(second).toEqual({ status: 404, text: JSON.stringify({ echo: '{}', n: 2 }) });
      expect(seen).toEqual(['POST /cards/AB/sync Bearer t0 application/json {"x":"öre"}', 'POST /missing Bearer t1 application/json {}']);
    } finally {
      connection.close();
    }
  });

  it('refuses an answer without a Content-Length (chunked) and names why', async () => {
    const port = await serve((_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"a":');
      response.end('1}');
    });
    const connection = await LeanConnection.open('127.0.0.1', port);
    try {
      await expect(connection.send(postRequest('127.0.0.1', port, '/', '{}', {}))).rejects.toThrow(/no status line or no Content-Length/);
    } finally {
      connection.close();
    }
  });

  it('fails the request in flight when the service closes the connection before answering', async () => {
    const port = await serve((request) => request.socket.destroy());
    const connection = await LeanConnection.open('127.0.0.1', port);
    try {
      await expect(connection.send(postRequest('127.0.0.1', port, '/', '{}', {}))).rejects.toThrow(/closed the connection|ECONNRESET/);
      await expect(connection.send(postRequest('127.0.0.1', port, '/', '{}', {}))).rejects.toThrow();
    } finally {
      connection.close();
    }
  });
});
