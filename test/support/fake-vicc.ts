// A minimal virtual card for vsmartcard's vpcd driver (the role vicc plays): connects to the driver's port and
// answers its messages (2-byte length, then the bytes; 1-byte control codes 00 off, 01 on, 02 reset, 04 ATR).
// It echoes each command with 9000; `remove()` drops the connection, which pcscd sees as the card leaving.

import { createConnection, type Socket } from 'node:net';

export class FakeVirtualCard {
  readonly apdus: string[] = [];
  private buffer = Buffer.alloc(0);

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<FakeVirtualCard> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no vpcd driver listens on ${host}:${port}`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new FakeVirtualCard(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  remove(): void {
    this.socket.destroy();
  }

  private send(bytes: Buffer): void {
    const header = Buffer.alloc(2);
    header.writeUInt16BE(bytes.length);
    this.socket.write(Buffer.concat([header, bytes]));
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 2) {
      const length = this.buffer.readUInt16BE(0);
      if (this.buffer.length < 2 + length) return;
      const message = this.buffer.subarray(2, 2 + length);
      this.buffer = this.buffer.subarray(2 + length);
      if (length === 1) {
        if (message[0] === 0x04) this.send(Buffer.from('3B80800101', 'hex'));
      } else {
        this.apdus.push(message.toString('hex').toUpperCase());
        this.send(Buffer.concat([message.subarray(5), Buffer.from([0x90, 0x00])]));
      }
    }
  }
}
