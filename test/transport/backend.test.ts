import { describe, expect, it } from 'vitest';
import { backendOptionsFromEnv, CAPABILITIES, missingCapabilityReason } from '../../host/src/transport/backend.ts';
import { pcscCode } from '../../host/src/transport/pcsc.ts';

describe('backendOptionsFromEnv', () => {
  it('chooses the simulator when CARD_BACKEND is unset or empty', () => {
    expect(backendOptionsFromEnv({})).toEqual({ kind: 'sim' });
    expect(backendOptionsFromEnv({ CARD_BACKEND: ' ' })).toEqual({ kind: 'sim' });
  });

  it('reads jcardsim and pcsc, in any case', () => {
    expect(backendOptionsFromEnv({ CARD_BACKEND: 'JCardSim' }).kind).toBe('jcardsim');
    expect(backendOptionsFromEnv({ CARD_BACKEND: 'pcsc' }).kind).toBe('pcsc');
  });

  it('takes the reader from CARD_READER', () => {
    expect(backendOptionsFromEnv({ CARD_BACKEND: 'pcsc', CARD_READER: 'Virtual PCD 00 00' })).toEqual({
      kind: 'pcsc',
      reader: 'Virtual PCD 00 00',
    });
  });

  it('takes a running runner from SIM_RUNNER_ADDRESS for the simulators only', () => {
    expect(backendOptionsFromEnv({ SIM_RUNNER_ADDRESS: '127.0.0.1:4000' }).runnerAddress).toBe('127.0.0.1:4000');
    expect(backendOptionsFromEnv({ CARD_BACKEND: 'pcsc', SIM_RUNNER_ADDRESS: '127.0.0.1:4000' }).runnerAddress).toBeUndefined();
  });

  it('refuses an unknown backend with one sentence listing the known ones', () => {
    expect(() => backendOptionsFromEnv({ CARD_BACKEND: 'jcop' })).toThrow('CARD_BACKEND must be one of sim, jcardsim, pcsc, got "jcop".');
  });
});

describe('capabilities', () => {
  it('gives the simulator every capability', () => {
    expect(Object.values(CAPABILITIES.sim).every(Boolean)).toBe(true);
  });

  it('does not claim tearing or stats for jCardSim or PC/SC', () => {
    expect(CAPABILITIES.jcardsim.canTear || CAPABILITIES.pcsc.canTear).toBe(false);
    expect(CAPABILITIES.jcardsim.hasStats || CAPABILITIES.pcsc.hasStats).toBe(false);
  });

  it('says why a capability is missing', () => {
    expect(missingCapabilityReason('jcardsim', 'canTear')).toBe('the jcardsim backend cannot cut power at a chosen tear point');
  });
});

describe('pcscCode', () => {
  it('reads the PC/SC return code out of a pcsclite message', () => {
    expect(pcscCode(new Error('SCardTransmit error: Transaction failed.(0x80100016)'))).toBe(0x80100016);
    expect(pcscCode(new Error('no code'))).toBeUndefined();
  });
});
