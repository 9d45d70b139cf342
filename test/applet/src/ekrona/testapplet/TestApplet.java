package ekrona.testapplet;

import javacard.framework.APDU;
import javacard.framework.APDUException;
import javacard.framework.Applet;
import javacard.framework.CardRuntimeException;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.OwnerPIN;
import javacard.framework.SystemException;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.CryptoException;
import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.KeyAgreement;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;
import javacard.security.MessageDigest;
import javacard.security.RandomData;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/**
 * Exercises a Java Card runtime: APDU cases and chunked receive, transactions, transient memory, crypto, PIN and
 * exceptions. The commands are specified in test/applet/README.md. All memory is allocated in the constructor.
 */
public final class TestApplet extends Applet {
    private static final byte CLA = (byte) 0x80;

    private static final byte INS_ECHO = 0x01;
    private static final byte INS_PATTERN = 0x02;
    private static final byte INS_WRITE = 0x10;
    private static final byte INS_READ = 0x11;
    private static final byte INS_TRANSFER = 0x12;
    private static final byte INS_TRANSIENT_WRITE = 0x20;
    private static final byte INS_TRANSIENT_READ = 0x21;
    private static final byte INS_GENERATE_KEY_PAIR = 0x30;
    private static final byte INS_SIGN = 0x31;
    private static final byte INS_VERIFY = 0x32;
    private static final byte INS_DIGEST = 0x33;
    private static final byte INS_KEY_AGREEMENT = 0x34;
    private static final byte INS_AES = 0x35;
    private static final byte INS_RANDOM = 0x36;
    private static final byte INS_GET_PUBLIC_KEY = 0x37;
    private static final byte INS_PIN_VERIFY = 0x40;
    private static final byte INS_PIN_STATUS = 0x41;
    private static final byte INS_PIN_CHANGE = 0x42;
    private static final byte INS_THROW = 0x50;
    private static final byte INS_MEMORY = 0x60;

    private static final byte WRITE_DIRECT = 0x00;
    private static final byte WRITE_COMMIT = 0x01;
    private static final byte WRITE_ABORT = 0x02;
    private static final byte WRITE_ISO_EXCEPTION = 0x03;
    private static final byte WRITE_NULL_POINTER = 0x04;
    private static final byte WRITE_NON_ATOMIC_ABORT = 0x05;
    private static final byte WRITE_ATOMIC_COPY = 0x06;

    private static final byte AES_SET_KEY = 0x00;
    private static final byte AES_ENCRYPT = 0x01;
    private static final byte AES_DECRYPT = 0x02;

    private static final short STORE_SIZE = 64;
    private static final short SCRATCH_SIZE = 16;
    private static final short PATTERN_CHUNK = 32;
    private static final short POINT_SIZE = 65;
    private static final short AES_BLOCK = 16;
    private static final byte PIN_TRIES = 3;
    private static final byte PIN_MAX_SIZE = 8;
    private static final byte[] INITIAL_PIN = {0x31, 0x32, 0x33, 0x34};
    private static final short INITIAL_BALANCE = 100;

    private final byte[] store;
    private short counter;
    private short balanceA;
    private short balanceB;
    /** Stays null: dereferencing it is how THROW 01 raises a NullPointerException. */
    private byte[] missing;

    private final byte[] resetScratch;
    private final byte[] deselectScratch;

    private final KeyPair keyPair;
    private final ECPublicKey otherKey;
    private final AESKey aesKey;
    private final OwnerPIN pin;
    private final Signature ecdsa;
    private final MessageDigest sha256;
    private final KeyAgreement ecdh;
    private final Cipher aes;
    private final RandomData random;

    private TestApplet() {
        store = new byte[STORE_SIZE];
        balanceA = INITIAL_BALANCE;
        balanceB = 0;
        resetScratch = JCSystem.makeTransientByteArray(SCRATCH_SIZE, JCSystem.CLEAR_ON_RESET);
        deselectScratch = JCSystem.makeTransientByteArray(SCRATCH_SIZE, JCSystem.CLEAR_ON_DESELECT);

        keyPair = new KeyPair(KeyPair.ALG_EC_FP, KeyBuilder.LENGTH_EC_FP_256);
        P256.setParameters((ECPublicKey) keyPair.getPublic());
        P256.setParameters((ECPrivateKey) keyPair.getPrivate());
        otherKey = (ECPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PUBLIC, KeyBuilder.LENGTH_EC_FP_256, false);
        P256.setParameters(otherKey);
        aesKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);

        pin = new OwnerPIN(PIN_TRIES, PIN_MAX_SIZE);
        pin.update(INITIAL_PIN, (short) 0, (byte) INITIAL_PIN.length);

        ecdsa = Signature.getInstance(Signature.ALG_ECDSA_SHA_256, false);
        sha256 = MessageDigest.getInstance(MessageDigest.ALG_SHA_256, false);
        ecdh = KeyAgreement.getInstance(KeyAgreement.ALG_EC_SVDP_DH_PLAIN, false);
        aes = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_CBC_NOPAD, false);
        random = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
    }

    /** GlobalPlatform install data: LEN(AID) AID LEN(privileges) privileges LEN(params) params. */
    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new TestApplet().register(bArray, (short) (bOffset + 1), bArray[bOffset]);
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_CLA] != CLA) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        switch (buf[ISO7816.OFFSET_INS]) {
            case INS_ECHO:
                echo(apdu);
                break;
            case INS_PATTERN:
                pattern(apdu);
                break;
            case INS_WRITE:
                write(apdu);
                break;
            case INS_READ:
                read(apdu);
                break;
            case INS_TRANSFER:
                transfer(apdu);
                break;
            case INS_TRANSIENT_WRITE:
                transientWrite(apdu);
                break;
            case INS_TRANSIENT_READ:
                transientRead(apdu);
                break;
            case INS_GENERATE_KEY_PAIR:
                generateKeyPair(apdu);
                break;
            case INS_SIGN:
                sign(apdu);
                break;
            case INS_VERIFY:
                verify(apdu);
                break;
            case INS_DIGEST:
                digest(apdu);
                break;
            case INS_KEY_AGREEMENT:
                keyAgreement(apdu);
                break;
            case INS_AES:
                aes(apdu);
                break;
            case INS_RANDOM:
                random(apdu);
                break;
            case INS_GET_PUBLIC_KEY:
                getPublicKey(apdu);
                break;
            case INS_PIN_VERIFY:
                pinVerify(apdu);
                break;
            case INS_PIN_STATUS:
                pinStatus(apdu);
                break;
            case INS_PIN_CHANGE:
                pinChange(apdu);
                break;
            case INS_THROW:
                throwKind(apdu);
                break;
            case INS_MEMORY:
                memory(apdu);
                break;
            default:
                ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    // ------------------------------------------------------------------ APDU helpers

    private static void requireP1P2(byte[] buf, byte p1, byte p2) {
        if (buf[ISO7816.OFFSET_P1] != p1 || buf[ISO7816.OFFSET_P2] != p2) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
    }

    /** Receives the whole command data at OFFSET_CDATA, block by block as the card delivers it. */
    private static short receiveAll(APDU apdu) {
        short received = apdu.setIncomingAndReceive();
        short total = apdu.getIncomingLength();
        while (received < total) {
            received = (short) (received + apdu.receiveBytes((short) (ISO7816.OFFSET_CDATA + received)));
        }
        return total;
    }

    private static void requireLength(short actual, short expected) {
        if (actual != expected) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
    }

    /**
     * Sends {@code length} bytes from the start of the APDU buffer. Over T=1 an Le smaller than the answer is
     * refused with 6Cxx by the applet; over T=0 the runtime does that itself.
     */
    private static void send(APDU apdu, short length) {
        short le = apdu.setOutgoing();
        if (length > le && (byte) (APDU.getProtocol() & APDU.PROTOCOL_TYPE_MASK) == APDU.PROTOCOL_T1) {
            ISOException.throwIt((short) (ISO7816.SW_CORRECT_LENGTH_00 | (length & 0xFF)));
        }
        apdu.setOutgoingLength(length);
        apdu.sendBytes((short) 0, length);
    }

    // ------------------------------------------------------------------ commands

    private void echo(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        requireP1P2(buf, (byte) 0, (byte) 0);
        short length = receiveAll(apdu);
        short le = apdu.setOutgoing();
        if (le == 0) {
            return;
        }
        short n = length < le ? length : le;
        apdu.setOutgoingLength(n);
        apdu.sendBytes(ISO7816.OFFSET_CDATA, n);
    }

    private void pattern(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_P1] != 0) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        short length = (short) (buf[ISO7816.OFFSET_P2] & 0xFF);
        if (length == 0) {
            length = 256;
        }
        requireLength(receiveAll(apdu), (short) 0);
        short le = apdu.setOutgoing();
        if (length > le && (byte) (APDU.getProtocol() & APDU.PROTOCOL_TYPE_MASK) == APDU.PROTOCOL_T1) {
            ISOException.throwIt((short) (ISO7816.SW_CORRECT_LENGTH_00 | (length & 0xFF)));
        }
        apdu.setOutgoingLength(length);
        for (short sent = 0; sent < length; sent = (short) (sent + PATTERN_CHUNK)) {
            short n = (short) (length - sent);
            if (n > PATTERN_CHUNK) {
                n = PATTERN_CHUNK;
            }
            for (short i = 0; i < n; i++) {
                buf[i] = (byte) (sent + i);
            }
            apdu.sendBytesLong(buf, (short) 0, n);
        }
    }

    private void write(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        byte mode = buf[ISO7816.OFFSET_P1];
        if (buf[ISO7816.OFFSET_P2] != 0 || mode < WRITE_DIRECT || mode > WRITE_ATOMIC_COPY) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        short length = receiveAll(apdu);
        if (length < 1) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        short offset = (short) (buf[ISO7816.OFFSET_CDATA] & 0xFF);
        short n = (short) (length - 1);
        if ((short) (offset + n) > STORE_SIZE) {
            ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        }
        short from = (short) (ISO7816.OFFSET_CDATA + 1);
        switch (mode) {
            case WRITE_DIRECT:
                storeDirectly(buf, from, offset, n);
                break;
            case WRITE_COMMIT:
                JCSystem.beginTransaction();
                storeDirectly(buf, from, offset, n);
                JCSystem.commitTransaction();
                break;
            case WRITE_ABORT:
                JCSystem.beginTransaction();
                storeDirectly(buf, from, offset, n);
                JCSystem.abortTransaction();
                break;
            case WRITE_ISO_EXCEPTION:
                JCSystem.beginTransaction();
                storeDirectly(buf, from, offset, n);
                ISOException.throwIt(ISO7816.SW_WRONG_DATA);
                break;
            case WRITE_NULL_POINTER:
                JCSystem.beginTransaction();
                storeDirectly(buf, from, offset, n);
                missing[0] = 1;
                break;
            case WRITE_NON_ATOMIC_ABORT:
                JCSystem.beginTransaction();
                Util.arrayCopyNonAtomic(buf, from, store, offset, n);
                counter++;
                JCSystem.abortTransaction();
                break;
            default:
                Util.arrayCopy(buf, from, store, offset, n);
                counter++;
        }
    }

    private void storeDirectly(byte[] buf, short from, short offset, short n) {
        for (short i = 0; i < n; i++) {
            store[(short) (offset + i)] = buf[(short) (from + i)];
        }
        counter++;
    }

    private void read(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        requireP1P2(buf, (byte) 0, (byte) 0);
        requireLength(receiveAll(apdu), (short) 0);
        Util.arrayCopyNonAtomic(store, (short) 0, buf, (short) 0, STORE_SIZE);
        Util.setShort(buf, STORE_SIZE, counter);
        Util.setShort(buf, (short) (STORE_SIZE + 2), balanceA);
        Util.setShort(buf, (short) (STORE_SIZE + 4), balanceB);
        send(apdu, (short) (STORE_SIZE + 6));
    }

    /**
     * One transaction: both balances, their copy in store[0..3] (Util.setShort into the APDU buffer, then
     * Util.arrayCopy) and a log byte in store[4]. A power loss anywhere leaves balanceA + balanceB = 100.
     */
    private void transfer(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        requireP1P2(buf, (byte) 0, (byte) 0);
        requireLength(receiveAll(apdu), (short) 2);
        short amount = Util.getShort(buf, ISO7816.OFFSET_CDATA);
        if (amount < 0) {
            ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        }
        if (balanceA < amount) {
            ISOException.throwIt(ISO7816.SW_FILE_FULL);
        }
        JCSystem.beginTransaction();
        balanceA = (short) (balanceA - amount);
        balanceB = (short) (balanceB + amount);
        Util.setShort(buf, (short) 0, balanceA);
        Util.setShort(buf, (short) 2, balanceB);
        Util.arrayCopy(buf, (short) 0, store, (short) 0, (short) 4);
        store[4] = (byte) amount;
        JCSystem.commitTransaction();
    }

    private void transientWrite(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        byte which = buf[ISO7816.OFFSET_P1];
        if (buf[ISO7816.OFFSET_P2] != 0 || which < 0 || which > 1) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        short length = receiveAll(apdu);
        if (length > SCRATCH_SIZE) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        Util.arrayCopyNonAtomic(buf, ISO7816.OFFSET_CDATA, which == 0 ? resetScratch : deselectScratch, (short) 0,
                length);
    }

    private void transientRead(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        requireP1P2(buf, (byte) 0, (byte) 0);
        requireLength(receiveAll(apdu), (short) 0);
        Util.arrayCopyNonAtomic(resetScratch, (short) 0, buf, (short) 0, SCRATCH_SIZE);
        Util.arrayCopyNonAtomic(deselectScratch, (short) 0, buf, SCRATCH_SIZE, SCRATCH_SIZE);
        send(apdu, (short) (2 * SCRATCH_SIZE));
    }

    private void generateKeyPair(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        requireP1P2(buf, (byte) 0, (byte) 0);
        requireLength(receiveAll(apdu), (short) 0);
        keyPair.genKeyPair();
        send(apdu, ((ECPublicKey) keyPair.getPublic()).getW(buf, (short) 0));
    }

    private void requireKeyPair() {
        if (!keyPair.getPrivate().isInitialized()) {
            ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        }
    }

    private void sign(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        requireP1P2(buf, (byte) 0, (byte) 0);
        short length = receiveAll(apdu);
        if (length < 1) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        requireKeyPair();
        ecdsa.init(keyPair.getPrivate(), Signature.MODE_SIGN);
        send(apdu, ecdsa.sign(buf, ISO7816.OFFSET_CDATA, length, buf, (short) 0));
    }

    private void verify(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        requireP1P2(buf, (byte) 0, (byte) 0);
        short length = receiveAll(apdu);
        if (length < (short) (POINT_SIZE + 1)) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        short sigOffset = (short) (ISO7816.OFFSET_CDATA + POINT_SIZE + 1);
        short sigLength = (short) (buf[(short) (sigOffset - 1)] & 0xFF);
        short messageLength = (short) (length - POINT_SIZE - 1 - sigLength);
        if (messageLength < 0) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        try {
            otherKey.setW(buf, ISO7816.OFFSET_CDATA, POINT_SIZE);
        } catch (CryptoException e) {
            ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        }
        ecdsa.init(otherKey, Signature.MODE_VERIFY);
        boolean valid = ecdsa.verify(buf, (short) (sigOffset + sigLength), messageLength, buf, sigOffset, sigLength);
        buf[0] = valid ? (byte) 1 : (byte) 0;
        send(apdu, (short) 1);
    }

    private void digest(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        requireP1P2(buf, (byte) 0, (byte) 0);
        short length = receiveAll(apdu);
        send(apdu, sha256.doFinal(buf, ISO7816.OFFSET_CDATA, length, buf, (short) 0));
    }

    private void keyAgreement(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        requireP1P2(buf, (byte) 0, (byte) 0);
        requireLength(receiveAll(apdu), POINT_SIZE);
        requireKeyPair();
        ecdh.init(keyPair.getPrivate());
        short n = 0;
        try {
            n = ecdh.generateSecret(buf, ISO7816.OFFSET_CDATA, POINT_SIZE, buf, (short) 0);
        } catch (CryptoException e) {
            ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        }
        send(apdu, n);
    }

    private void aes(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        byte op = buf[ISO7816.OFFSET_P1];
        if (buf[ISO7816.OFFSET_P2] != 0 || op < AES_SET_KEY || op > AES_DECRYPT) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        short length = receiveAll(apdu);
        if (op == AES_SET_KEY) {
            requireLength(length, AES_BLOCK);
            aesKey.setKey(buf, ISO7816.OFFSET_CDATA);
            return;
        }
        if ((short) (length % AES_BLOCK) != 0) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        if (!aesKey.isInitialized()) {
            ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        }
        aes.init(aesKey, op == AES_ENCRYPT ? Cipher.MODE_ENCRYPT : Cipher.MODE_DECRYPT);
        send(apdu, aes.doFinal(buf, ISO7816.OFFSET_CDATA, length, buf, (short) 0));
    }

    private void random(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        short length = (short) (buf[ISO7816.OFFSET_P1] & 0xFF);
        if (length == 0 || buf[ISO7816.OFFSET_P2] != 0) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        requireLength(receiveAll(apdu), (short) 0);
        random.generateData(buf, (short) 0, length);
        send(apdu, length);
    }

    private void getPublicKey(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        requireP1P2(buf, (byte) 0, (byte) 0);
        requireLength(receiveAll(apdu), (short) 0);
        ECPublicKey publicKey = (ECPublicKey) keyPair.getPublic();
        if (!publicKey.isInitialized()) {
            ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        }
        send(apdu, publicKey.getW(buf, (short) 0));
    }

    private void pinVerify(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        requireP1P2(buf, (byte) 0, (byte) 0);
        short length = receiveAll(apdu);
        if (length > PIN_MAX_SIZE) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        if (pin.getTriesRemaining() == 0) {
            ISOException.throwIt(ISO7816.SW_FILE_INVALID);
        }
        if (!pin.check(buf, ISO7816.OFFSET_CDATA, (byte) length)) {
            ISOException.throwIt((short) (0x63C0 | pin.getTriesRemaining()));
        }
    }

    private void pinStatus(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        requireP1P2(buf, (byte) 0, (byte) 0);
        requireLength(receiveAll(apdu), (short) 0);
        buf[0] = pin.getTriesRemaining();
        buf[1] = pin.isValidated() ? (byte) 1 : (byte) 0;
        send(apdu, (short) 2);
    }

    private void pinChange(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        requireP1P2(buf, (byte) 0, (byte) 0);
        short length = receiveAll(apdu);
        if (length < 1 || length > PIN_MAX_SIZE) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        if (!pin.isValidated()) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        pin.update(buf, ISO7816.OFFSET_CDATA, (byte) length);
    }

    private void throwKind(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        byte kind = buf[ISO7816.OFFSET_P1];
        if (buf[ISO7816.OFFSET_P2] != 0 || kind < 0 || kind > 8) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        short length = receiveAll(apdu);
        if (kind == 0 || kind == 8) {
            requireLength(length, (short) 2);
        }
        short sw = Util.getShort(buf, ISO7816.OFFSET_CDATA);
        short zero = 0;
        switch (kind) {
            case 0:
                ISOException.throwIt(sw);
                break;
            case 1:
                missing[0] = 1;
                break;
            case 2:
                store[STORE_SIZE] = 1;
                break;
            case 3:
                CardRuntimeException.throwIt((short) 0x0101);
                break;
            case 4:
                APDUException.throwIt(APDUException.BAD_LENGTH);
                break;
            case 5:
                SystemException.throwIt(SystemException.ILLEGAL_VALUE);
                break;
            case 6:
                counter = (short) (counter / zero);
                break;
            case 7:
                JCSystem.commitTransaction();
                break;
            default:
                JCSystem.beginTransaction();
                store[0] = (byte) 0xEE;
                ISOException.throwIt(sw);
        }
    }

    private void memory(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        requireP1P2(buf, (byte) 0, (byte) 0);
        requireLength(receiveAll(apdu), (short) 0);
        Util.setShort(buf, (short) 0, JCSystem.getAvailableMemory(JCSystem.MEMORY_TYPE_PERSISTENT));
        Util.setShort(buf, (short) 2, JCSystem.getAvailableMemory(JCSystem.MEMORY_TYPE_TRANSIENT_RESET));
        Util.setShort(buf, (short) 4, JCSystem.getAvailableMemory(JCSystem.MEMORY_TYPE_TRANSIENT_DESELECT));
        Util.setShort(buf, (short) 6, JCSystem.getMaxCommitCapacity());
        send(apdu, (short) 8);
    }
}
