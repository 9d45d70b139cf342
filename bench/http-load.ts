// A lean HTTP/1.1 client for the settlement load: one keep-alive socket per request in flight, each request one
// pre-built buffer, each answer read by its Content-Length. Why not node:http's client: on this two-core machine the
// load generator shares the cores with the services it measures, and node:http's client (agent, request and
// response objects, header parsing) cost it 0.3 to 0.4 ms of CPU a sync, a tenth of all the CPU a sync took; this
// one costs a fraction of that, so the figures describe the services rather than the client.
//
// It speaks only what the services answer: `HTTP/1.1 <status>` with a Content-Length (Fastify's JSON replies). A
// chunked or malformed answer, or a socket closed mid-answer, fails the request with the reason.

import { connect, type Socket } from 'node:net';

export interface Answer {
  status: number;
  text: string;
}

/** The bytes of one POST with a JSON body, ready to write. */
export function postRequest(host: string, port: number, path: string, body: string, headers: Record<string, string>): Buffer {
  const bodyBytes = Buffer.from(body, 'utf8');
  const lines = [`POST ${path} HTTP/1.1`, `host: ${host}:${port}`, 'content-type: application/json', `content-length: ${bodyBytes.length}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), bodyBytes]);
}

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');

/** One keep-alive connection; one request at a time. */
export class LeanConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (a: Answer) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('the service closed the connection')));
  }

  static open(host: string, port: number): Promise<LeanConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => {
        socket.off('error', reject);
        resolve(new LeanConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  send(request: Buffer): Promise<Answer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiting) return Promise.reject(new Error('a request is already in flight on this connection'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.removeAllListeners('close');
    this.socket.destroy();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error);
  }

  private received(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const headerEnd = this.buffered.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const head = this.buffered.toString('latin1', 0, headerEnd);
    const status = /^HTTP\/1\.1 (\d{3}) /.exec(head);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!status || !length) {
      this.fail(new Error(`an answer the lean client cannot read (no status line or no Content-Length): ${head.slice(0, 200)}`));
      this.socket.destroy();
      return;
    }
    const bodyStart = headerEnd + HEADER_END.length;
    const bodyEnd = bodyStart + Number(length[1]);
    if (this.buffered.length < bodyEnd) return;
    if (this.buffered.length > bodyEnd) {
      this.fail(new Error('the service sent more than one answer to one request'));
      this.socket.destroy();
      return;
    }
    const text = this.buffered.toString('utf8', bodyStart, bodyEnd);
    this.buffered = Buffer.alloc(0);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve({ status: Number(status[1]), text });
  }
}
