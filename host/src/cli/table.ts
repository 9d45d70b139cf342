// The command table: every group and command of `ekrona`. Adding a command = one module under `commands/` plus
// one entry here (and a group entry when it opens a new group). Help and parsing read only this table.

import type { CommandTable } from './command.ts';
import { otpCodes, otpGroup, otpVerify } from './commands/otp.ts';
import { otpDeviceAdd, otpDeviceGroup, otpDeviceList, otpDeviceRemove } from './commands/otp-registry.ts';
import { payOnline } from './commands/pay-online.ts';
import { cardDefund, cardGroup, cardPay, cardPersonalise, cardStatus, cardSync, cardTopUp } from './commands/card.ts';
import { cardApplyDecline, cardDecline, cardPayRequest, cardReceive, cardRequest } from './commands/card-steps.ts';
import { cardBlock, cardChangePin, cardLost, cardPolicy, cardTerminate, cardUnblock, cardUnblockPin } from './commands/card-admin.ts';
import { audit, networkDown, networkGroup, networkStatus, networkUp, serve } from './commands/network.ts';
import { userCreate, userDeposit, userGroup, userShow } from './commands/user.ts';

export const TABLE: CommandTable = {
  groups: [networkGroup, userGroup, cardGroup, otpGroup, otpDeviceGroup],
  commands: [
    networkUp,
    networkDown,
    networkStatus,
    serve,
    audit,
    userCreate,
    userDeposit,
    userShow,
    cardPersonalise,
    cardStatus,
    cardTopUp,
    cardPay,
    cardRequest,
    cardPayRequest,
    cardReceive,
    cardDecline,
    cardApplyDecline,
    cardSync,
    cardDefund,
    cardChangePin,
    cardUnblockPin,
    cardBlock,
    cardUnblock,
    cardPolicy,
    cardTerminate,
    cardLost,
    otpCodes,
    otpVerify,
    otpDeviceAdd,
    otpDeviceList,
    otpDeviceRemove,
    payOnline,
  ],
};
