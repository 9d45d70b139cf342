package ekrona.sim.crypto;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;
import java.util.Arrays;
import javacard.security.AESKey;
import javacard.security.CryptoException;

/**
 * An AES key. A transient key (TYPE_AES_TRANSIENT_RESET/DESELECT) keeps its value and its initialised flag in
 * transient memory, so both are lost at the clear event, as the API requires.
 */
public final class AesKeyImpl implements AESKey {
    private byte type;
    private short size;
    private byte[] value;
    private boolean[] initialized;

    AesKeyImpl(byte type, short size, byte event) {
        this.type = type;
        this.size = size;
        if (event == 0) {
            value = new byte[size / 8];
            initialized = new boolean[1];
        } else {
            Card card = CardRuntime.card();
            value = (byte[]) card.makeTransient(byte.class, (short) (size / 8), event, false);
            initialized = (boolean[]) card.makeTransient(boolean.class, (short) 1, event, false);
        }
    }

    @Override
    public boolean isInitialized() {
        CardRuntime.card().checkPowered();
        return initialized[0];
    }

    @Override
    public void clearKey() {
        Card card = CardRuntime.card();
        card.tearPoint();
        card.beforeAtomicWrite(value, 0, value.length);
        Arrays.fill(value, (byte) 0);
        card.beforeAtomicWrite(initialized, 0, 1);
        initialized[0] = false;
    }

    @Override
    public byte getType() {
        return type;
    }

    @Override
    public short getSize() {
        return size;
    }

    @Override
    public void setKey(byte[] keyData, short kOff) {
        Card card = CardRuntime.card();
        card.tearPoint();
        Bytes.check(keyData, kOff, value.length);
        card.beforeAtomicWrite(value, 0, value.length);
        System.arraycopy(keyData, kOff, value, 0, value.length);
        card.beforeAtomicWrite(initialized, 0, 1);
        initialized[0] = true;
    }

    @Override
    public byte getKey(byte[] keyData, short kOff) {
        CardRuntime.card().checkPowered();
        if (!initialized[0]) {
            CryptoException.throwIt(CryptoException.UNINITIALIZED_KEY);
        }
        Bytes.write(value.clone(), keyData, kOff);
        return (byte) value.length;
    }

    byte[] bytes() {
        return value;
    }
}
