// When the optional native module cannot be loaded (not built, or libpcsclite missing), every PC/SC function
// fails with one sentence saying what to install.
import { describe, expect, it, vi } from 'vitest';

vi.mock('pcsclite', () => {
  throw new Error('libpcsclite.so.1: cannot open shared object file: No such file or directory');
});

describe('PC/SC without pcsclite', () => {
  it('says what to install, with the loader error kept as the cause', async () => {
    const { listReaders, PCSC_UNAVAILABLE } = await import('../../host/src/transport/pcsc.ts');
    const error = await listReaders().catch((e: unknown) => e);
    expect((error as Error).message).toBe(PCSC_UNAVAILABLE);
    expect((error as Error).message).toBe(
      'PC/SC is unavailable: install libpcsclite-dev and pcscd (Debian) and run npm install again.',
    );
    expect((error as Error).cause).toBeInstanceOf(Error); // vitest wraps the factory's error; the loader's on a real machine
  });

  it('fails openPcsc the same way', async () => {
    const { openPcsc, PCSC_UNAVAILABLE } = await import('../../host/src/transport/pcsc.ts');
    await expect(openPcsc({ reader: 'any' })).rejects.toThrow(PCSC_UNAVAILABLE);
  });
});
