// The command table: every group and command of `ekrona`. Adding a command = one module under `commands/` plus
// one entry here (and a group entry when it opens a new group). Help and parsing read only this table.

import type { CommandTable } from './command.ts';
import { otpCodes, otpGroup, otpVerify } from './commands/otp.ts';
import { otpDeviceAdd, otpDeviceGroup, otpDeviceList, otpDeviceRemove } from './commands/otp-registry.ts';
import { payOnline } from './commands/pay-online.ts';

export const TABLE: CommandTable = {
  groups: [otpGroup, otpDeviceGroup],
  commands: [otpCodes, otpVerify, otpDeviceAdd, otpDeviceList, otpDeviceRemove, payOnline],
};
