package javacard.framework;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;
import ekrona.sim.card.NonTransactional;

/**
 * A PIN its owner can update. The try counter is decremented before the comparison and is not part of a
 * transaction (so neither an abort nor a power loss gives a try back); the validated flag lives in CLEAR_ON_RESET
 * transient memory, lost at every reset or power loss.
 */
public class OwnerPIN implements PIN {
    private byte tryLimit;
    private byte maxPINSize;
    private byte[] pinValue;
    private byte pinSize;
    @NonTransactional
    private byte triesLeft;
    private boolean[] validated;

    public OwnerPIN(byte tryLimit, byte maxPINSize) throws PINException {
        Card card = CardRuntime.card();
        card.tearPoint();
        if (tryLimit < 1 || maxPINSize < 1) {
            PINException.throwIt(PINException.ILLEGAL_VALUE);
        }
        card.allocated();
        this.tryLimit = tryLimit;
        this.maxPINSize = maxPINSize;
        this.pinValue = new byte[maxPINSize];
        this.pinSize = maxPINSize;
        this.triesLeft = tryLimit;
        this.validated = (boolean[]) card.makeTransient(boolean.class, (short) 1, JCSystem.CLEAR_ON_RESET, false);
    }

    protected boolean getValidatedFlag() {
        return validated[0];
    }

    protected void setValidatedFlag(boolean value) {
        validated[0] = value;
    }

    @Override
    public byte getTriesRemaining() {
        CardRuntime.card().checkPowered();
        return triesLeft;
    }

    @Override
    public boolean check(byte[] pin, short offset, byte length) {
        Card card = CardRuntime.card();
        card.tearPoint();
        setValidatedFlag(false);
        if (triesLeft == 0) {
            return false;
        }
        card.beforeFieldWrite(this, "triesLeft");
        triesLeft--;
        // A second tear point after the decrement: losing power here must cost the try.
        card.tearPoint();
        if (length < 0 || offset < 0 || offset + length > pin.length) {
            throw new ArrayIndexOutOfBoundsException();
        }
        if (length != pinSize) {
            return false;
        }
        boolean same = true;
        for (short i = 0; i < length; i++) {
            same &= pin[(short) (offset + i)] == pinValue[i];
        }
        if (!same) {
            return false;
        }
        setValidatedFlag(true);
        card.beforeFieldWrite(this, "triesLeft");
        triesLeft = tryLimit;
        return true;
    }

    @Override
    public boolean isValidated() {
        CardRuntime.card().checkPowered();
        return getValidatedFlag();
    }

    @Override
    public void reset() {
        CardRuntime.card().checkPowered();
        if (getValidatedFlag()) {
            resetAndUnblockQuietly();
        }
    }

    /** Sets a new PIN; inside a transaction the new PIN and the try counter reset are both conditional. */
    public void update(byte[] pin, short offset, byte length) throws PINException {
        Card card = CardRuntime.card();
        card.tearPoint();
        if (length < 0 || length > maxPINSize) {
            PINException.throwIt(PINException.ILLEGAL_VALUE);
        }
        if (offset < 0 || offset + length > pin.length) {
            throw new ArrayIndexOutOfBoundsException();
        }
        card.beforeAtomicWrite(pinValue, 0, length);
        System.arraycopy(pin, offset, pinValue, 0, length);
        card.beforeFieldWrite(this, "pinSize");
        pinSize = length;
        final byte before = triesLeft;
        card.undoOnAbort(() -> triesLeft = before);
        card.beforeFieldWrite(this, "triesLeft");
        triesLeft = tryLimit;
        setValidatedFlag(false);
    }

    public void resetAndUnblock() {
        CardRuntime.card().tearPoint();
        resetAndUnblockQuietly();
    }

    private void resetAndUnblockQuietly() {
        setValidatedFlag(false);
        if (triesLeft != tryLimit) {
            CardRuntime.card().beforeFieldWrite(this, "triesLeft");
            triesLeft = tryLimit;
        }
    }
}
