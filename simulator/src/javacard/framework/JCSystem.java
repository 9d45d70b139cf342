package javacard.framework;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;

/**
 * Transactions, transient memory and the applet environment. Every method is a tear point (see docs/RUNNER.md).
 */
public final class JCSystem {
    public static final byte MEMORY_TYPE_PERSISTENT = 0;
    public static final byte MEMORY_TYPE_TRANSIENT_RESET = 1;
    public static final byte MEMORY_TYPE_TRANSIENT_DESELECT = 2;
    public static final byte NOT_A_TRANSIENT_OBJECT = 0;
    public static final byte CLEAR_ON_RESET = 1;
    public static final byte CLEAR_ON_DESELECT = 2;
    public static final byte ARRAY_TYPE_BOOLEAN = 1;
    public static final byte ARRAY_TYPE_BYTE = 2;
    public static final byte ARRAY_TYPE_SHORT = 3;
    public static final byte ARRAY_TYPE_INT = 4;
    public static final byte ARRAY_TYPE_OBJECT = 5;

    private static final short API_VERSION = 0x0304;

    private JCSystem() {
    }

    private static Card card() {
        Card card = CardRuntime.card();
        card.tearPoint();
        return card;
    }

    public static byte isTransient(Object theObj) {
        return theObj == null ? NOT_A_TRANSIENT_OBJECT : card().transientEvent(theObj);
    }

    public static boolean[] makeTransientBooleanArray(short length, byte event) throws SystemException {
        return (boolean[]) makeTransient(boolean.class, length, event);
    }

    public static byte[] makeTransientByteArray(short length, byte event) throws SystemException {
        return (byte[]) makeTransient(byte.class, length, event);
    }

    public static short[] makeTransientShortArray(short length, byte event) throws SystemException {
        return (short[]) makeTransient(short.class, length, event);
    }

    public static Object[] makeTransientObjectArray(short length, byte event) throws SystemException {
        return (Object[]) makeTransient(Object.class, length, event);
    }

    private static Object makeTransient(Class<?> type, short length, byte event) {
        Card card = card();
        Object array = card.makeTransient(type, length, event, false);
        card.allocated();
        return array;
    }

    public static short getVersion() {
        card();
        return API_VERSION;
    }

    public static AID getAID() {
        return card().contextAid();
    }

    public static AID lookupAID(byte[] buffer, short offset, byte length) {
        return card().lookupAid(buffer, offset, length);
    }

    public static void beginTransaction() throws TransactionException {
        CardRuntime.card().beginTransaction();
    }

    public static void abortTransaction() throws TransactionException {
        CardRuntime.card().abortTransaction();
    }

    public static void commitTransaction() throws TransactionException {
        CardRuntime.card().commitTransaction();
    }

    public static byte getTransactionDepth() {
        return card().transactionDepth();
    }

    public static short getUnusedCommitCapacity() {
        return card().unusedCommitCapacity();
    }

    public static short getMaxCommitCapacity() {
        return card().maxCommitCapacity();
    }

    public static AID getPreviousContextAID() {
        card();
        return null;
    }

    /** Free memory of one kind, at most 32767 (Short.MAX_VALUE) as on a real card. */
    public static short getAvailableMemory(byte memoryType) throws SystemException {
        return card().availableMemory(memoryType);
    }

    public static Shareable getAppletShareableInterfaceObject(AID serverAID, byte parameter) {
        Card card = card();
        Applet server = card.appletOf(serverAID);
        return server == null ? null : server.getShareableInterfaceObject(card.contextAid(), parameter);
    }

    public static boolean isObjectDeletionSupported() {
        card();
        return true;
    }

    /** Garbage is collected by the JVM; nothing to request. */
    public static void requestObjectDeletion() throws SystemException {
        card();
    }

    public static byte getAssignedChannel() {
        card();
        return 0;
    }

    public static boolean isAppletActive(AID theApplet) {
        return card().isActive(theApplet);
    }
}
