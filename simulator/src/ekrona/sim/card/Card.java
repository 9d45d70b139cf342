package ekrona.sim.card;

import ekrona.sim.crypto.CardRandom;
import ekrona.sim.runner.Diagnostics;
import ekrona.sim.runner.RunnerException;
import ekrona.sim.runner.Stats;
import ekrona.sim.runner.TransmissionProtocol;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javacard.framework.AID;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.SystemException;
import javacard.framework.TransactionException;

/**
 * One simulated card: its applet registry, persistent and transient memory, power and selection state, the open
 * transaction, and the counters of the command being processed. Everything here runs under
 * {@link CardRuntime#run}, one card at a time.
 */
public final class Card {
    public static final int APDU_BUFFER_SIZE = 261;
    private static final byte[] HISTORICAL_BYTES = "EKRONA-SIM".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int SW_OK = 0x9000;

    final String name;
    final Path stateFile;
    final CardConfig config;
    final CardStatics statics = new CardStatics();
    final TransientMemory transients = new TransientMemory();
    JcreRegistry registry = new JcreRegistry();

    private final byte[] apduBuffer = new byte[APDU_BUFFER_SIZE];
    private final ApduSession session;
    private final APDU apdu;
    private CardRandom random;
    private Snapshot image;

    private boolean powered;
    private TransmissionProtocol protocol = TransmissionProtocol.T1;
    private int epoch;
    private AppletRecord selected;
    private AppletRecord context;
    private String contextPackage;
    private AppletRecord installing;
    private boolean selectingApplet;
    private boolean reselecting;
    private Transaction transaction;

    private Stats stats = new Stats();
    private Stats lastStats = new Stats();
    private Stats totals = new Stats();
    private final WriteMarks commandMarks = new WriteMarks();
    private long apiWriteBytes;
    private long largestTransaction;
    private int armedTear;
    private int tearAt;
    private boolean torn;
    private boolean forbiddenStoreUndone;
    private Snapshot memoryAtTear;

    private byte[] getResponseData;
    private int getResponseOffset;
    private byte[] getResponseStatus;
    private CommandApdu reissueHeader;
    private int reissueLength;
    private byte[] reissueResponse;

    Card(String name, Path stateFile, CardConfig config) {
        this.name = name;
        this.stateFile = stateFile;
        this.config = config;
        this.session = new ApduSession(this, apduBuffer);
        this.apdu = newApdu(session);
        transients.register(apduBuffer, TransientMemory.CLEAR_ON_RESET, null, true);
    }

    private static APDU newApdu(ApduSession session) {
        try {
            Constructor<APDU> c = APDU.class.getDeclaredConstructor(ApduSession.class);
            c.setAccessible(true);
            return c.newInstance(session);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create the APDU object", e);
        }
    }

    // ---------------------------------------------------------------- card operations (called by the backend)

    /** Takes the first image of persistent memory (after creation or after loading the state file). */
    void startImage() {
        image = Snapshot.capture(this);
    }

    byte[] atr() {
        // T=1 only: T0 = 8K (TD1 follows), TD1 = 01 (T=1), then TCK. T=0: T0 = 0K, no TCK.
        boolean t1 = protocol == TransmissionProtocol.T1;
        int k = HISTORICAL_BYTES.length;
        byte[] atr = new byte[(t1 ? 4 : 2) + k];
        int i = 0;
        atr[i++] = 0x3B;
        atr[i++] = (byte) ((t1 ? 0x80 : 0x00) | k);
        if (t1) {
            atr[i++] = 0x01;
        }
        System.arraycopy(HISTORICAL_BYTES, 0, atr, i, k);
        i += k;
        if (t1) {
            byte tck = 0;
            for (int j = 1; j < i; j++) {
                tck ^= atr[j];
            }
            atr[i] = tck;
        }
        return atr;
    }

    boolean isPowered() {
        return powered;
    }

    byte[] powerOn() {
        powered = true;
        epoch++;
        transients.clearAll();
        selected = null;
        transaction = null;
        clearPendingResponses();
        stats = new Stats();
        lastStats = new Stats();
        totals = new Stats();
        return atr();
    }

    void powerOff() {
        powered = false;
        transients.clearAll();
        selected = null;
        clearPendingResponses();
    }

    void setProtocol(TransmissionProtocol p) {
        protocol = p;
        clearPendingResponses();
    }

    void armTear(int n) {
        armedTear = n;
    }

    Stats lastStats() {
        return lastStats.copy();
    }

    Stats totals() {
        return totals.copy();
    }

    boolean hasApplet(byte[] aid) {
        return registry.find(aid, 0, aid.length) != null;
    }

    /** Installs an applet instance as GlobalPlatform's INSTALL [for install] would. */
    void install(String className, byte[] aid, byte[] installData) throws RunnerException {
        if (hasApplet(aid)) {
            throw new RunnerException("card " + name + " already has an applet with AID " + hex(aid));
        }
        Class<?> type;
        try {
            type = Class.forName(className);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new RunnerException("no class " + className + " on the runner's classpath (build it with"
                    + " 'node scripts/build-java.mjs' and put its folder on the classpath)");
        }
        if (!Applet.class.isAssignableFrom(type) || Modifier.isAbstract(type.getModifiers())) {
            throw new RunnerException(className + " is not a concrete subclass of javacard.framework.Applet");
        }
        Method install;
        try {
            install = type.getMethod("install", byte[].class, short.class, byte.class);
        } catch (NoSuchMethodException e) {
            install = null;
        }
        if (install == null || install.getDeclaringClass() == Applet.class || !Modifier.isStatic(install.getModifiers())) {
            throw new RunnerException(className + " does not declare public static void install(byte[], short, byte)");
        }
        AppletPackages.PackageInfo pkg;
        try {
            pkg = AppletPackages.ensure(type);
        } catch (java.io.IOException e) {
            throw new RunnerException("cannot load the applet package of " + className + ": " + e.getMessage(), e);
        }
        beginOperation();
        if (powered && selected != null) {
            deselect(selected);
        }
        // A failed install leaves the card as it was, so that its err changes nothing.
        Snapshot before = Snapshot.capture(this);
        int transientMark = transients.count();
        AppletRecord record = new AppletRecord(new AID(aid, (short) 0, (byte) aid.length), null);
        installing = record;
        enterContext(record, type.getPackageName());
        String failure = null;
        try {
            install.invoke(null, installData, (short) 0, (byte) installData.length);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            failure = cause instanceof ISOException iso
                    ? "ISOException " + String.format("%04X", iso.getReason() & 0xFFFF)
                    : describe(cause);
        } catch (IllegalAccessException e) {
            failure = "the install method is not accessible";
        } finally {
            leaveContext();
            installing = null;
        }
        if (transaction != null) {
            rollback();
        }
        if (failure == null && record.applet == null) {
            failure = "install returned without calling register()";
        }
        if (failure != null) {
            before.restore();
            if (!packages().contains(pkg)) {
                pkg.resetToPristine();
            }
            transients.forgetAfter(transientMark);
            finishOperation();
            throw new RunnerException(className + ".install failed on card " + name + ": " + failure);
        }
        finishOperation();
    }

    /** Processes one command APDU: the JCRE's dispatcher. */
    ekrona.sim.runner.ApduResult transmit(byte[] command) throws RunnerException {
        long start = System.nanoTime();
        beginOperation();
        tearAt = armedTear;
        armedTear = 0;
        stats.set("in", command.length);
        byte[] response;
        try {
            response = dispatch(command);
        } catch (PowerLoss e) {
            response = null;
        } finally {
            session.end();
            leaveContext();
            selectingApplet = false;
            reselecting = false;
        }
        if (response == null) {
            if (memoryAtTear != null) {
                memoryAtTear.restore();
            }
            if (transaction != null) {
                rollback();
            }
            powerOff();
        }
        torn = false;
        tearAt = 0;
        finishOperation();
        if (forbiddenStoreUndone && response != null) {
            Diagnostics.note("card " + name + ": the applet stored a reference to the APDU object or buffer in"
                    + " persistent memory; the store was undone and the command answered 6F00, as a real card's"
                    + " SecurityException would");
            response = new byte[] {0x6F, 0x00};
        }
        stats.set("out", response == null ? 0 : response.length);
        stats.set("us", (System.nanoTime() - start) / 1000);
        lastStats = stats;
        totals.accumulate(stats);
        Stats result = stats.copy();
        stats = new Stats();
        return new ekrona.sim.runner.ApduResult(response, result);
    }

    void save() throws RunnerException {
        if (stateFile == null) {
            throw new RunnerException("card " + name + " has no state file; create it with 'card " + name + " FILE'");
        }
        StateFile.write(this);
    }

    MemoryAccounting.Report memory() {
        return MemoryAccounting.measure(this);
    }

    // ---------------------------------------------------------------- dispatch

    private void beginOperation() {
        stats = new Stats();
        commandMarks.clear();
        apiWriteBytes = 0;
        largestTransaction = 0;
        torn = false;
        tearAt = 0;
        forbiddenStoreUndone = false;
        memoryAtTear = null;
    }

    /** Counts what the operation wrote, and saves the card when persistent memory changed. */
    private void finishOperation() throws RunnerException {
        Snapshot.Change change = image.refresh(this, commandMarks);
        stats.set("pw", apiWriteBytes + change.bytes());
        stats.set("txmax", largestTransaction);
        if ((change.any() || apiWriteBytes > 0) && stateFile != null) {
            StateFile.write(this);
        }
    }

    private byte[] dispatch(byte[] raw) {
        CommandApdu command = CommandApdu.parse(raw);
        if (command == null) {
            return respond(new byte[0], ISO7816.SW_WRONG_LENGTH);
        }
        if (protocol == TransmissionProtocol.T0) {
            byte[] pending = pendingT0Response(command);
            if (pending != null) {
                tearPoint();
                return pending;
            }
        }
        if (isSelectByName(command)) {
            if ((command.cla() & 0x03) != 0) {
                return respond(new byte[0], ISO7816.SW_LOGICAL_CHANNEL_NOT_SUPPORTED);
            }
            return select(command);
        }
        if (selected == null) {
            // A JCOP's card manager (the default applet) answers an instruction it does not know with 6D00.
            return respond(new byte[0], ISO7816.SW_INS_NOT_SUPPORTED);
        }
        return process(selected, command, false);
    }

    private static boolean isSelectByName(CommandApdu c) {
        return (c.cla() & 0xFC) == 0 && c.ins() == 0xA4 && c.p1() == 0x04 && (c.p2() & 0xE3) == 0;
    }

    private byte[] select(CommandApdu command) {
        byte[] raw = command.raw();
        AppletRecord target = null;
        if (command.nc() > 0) {
            target = registry.find(raw, CommandApdu.DATA_OFFSET, command.nc());
            if (target == null) {
                target = registry.findPartial(raw, CommandApdu.DATA_OFFSET, command.nc());
            }
        }
        if (target == null) {
            // The current applet, if any, stays selected.
            return respond(new byte[0], ISO7816.SW_FILE_NOT_FOUND);
        }
        AppletRecord previous = selected;
        if (previous != null) {
            deselect(previous);
        }
        reselecting = previous == target;
        enterContext(target, target.contextPackage());
        boolean accepted;
        try {
            accepted = target.applet.select();
        } catch (PowerLoss e) {
            throw e;
        } catch (Throwable t) {
            if (torn) {
                throw new PowerLoss();
            }
            diagnose("select()", t);
            accepted = false;
        } finally {
            leaveContext();
        }
        if (torn) {
            throw new PowerLoss();
        }
        if (transaction != null) {
            rollback();
        }
        if (!accepted) {
            reselecting = false;
            return respond(new byte[0], ISO7816.SW_APPLET_SELECT_FAILED);
        }
        selected = target;
        return process(target, command, true);
    }

    private void deselect(AppletRecord record) {
        enterContext(record, record.contextPackage());
        try {
            record.applet.deselect();
        } catch (PowerLoss e) {
            throw e;
        } catch (Throwable t) {
            if (torn) {
                throw new PowerLoss();
            }
            diagnose("deselect()", t);
        } finally {
            leaveContext();
        }
        if (torn) {
            throw new PowerLoss();
        }
        if (transaction != null) {
            rollback();
        }
        transients.clear(TransientMemory.CLEAR_ON_DESELECT, record.contextPackage());
        selected = null;
    }

    private byte[] process(AppletRecord record, CommandApdu command, boolean selecting) {
        session.begin(command, protocol);
        enterContext(record, record.contextPackage());
        selectingApplet = selecting;
        int sw;
        try {
            record.applet.process(apdu);
            sw = SW_OK;
        } catch (PowerLoss e) {
            throw e;
        } catch (ISOException e) {
            sw = e.getReason() & 0xFFFF;
        } catch (Throwable t) {
            if (torn) {
                throw new PowerLoss();
            }
            diagnose("process()", t);
            sw = ISO7816.SW_UNKNOWN & 0xFFFF;
        } finally {
            leaveContext();
            selectingApplet = false;
            reselecting = false;
        }
        if (torn) {
            throw new PowerLoss();
        }
        if (transaction != null) {
            rollback();
        }
        byte[] data = session.output();
        session.end();
        return protocol == TransmissionProtocol.T1 ? respond(data, sw) : respondT0(command, data, sw);
    }

    /** Sending the response is the command's last tear point. */
    private byte[] respond(byte[] data, int sw) {
        tearPoint();
        byte[] response = Arrays.copyOf(data, data.length + 2);
        response[data.length] = (byte) (sw >> 8);
        response[data.length + 1] = (byte) sw;
        return response;
    }

    /**
     * T=0 as a JCRE sends it: case 4 (and case 3) data waits for GET RESPONSE after 61xx; a case 2 answer of another
     * length than Le is refused with 6Cxx, and the re-issued command gets the data the applet produced.
     */
    private byte[] respondT0(CommandApdu command, byte[] data, int sw) {
        if (data.length == 0) {
            return respond(data, sw);
        }
        if (command.apduCase() <= 2) {
            int expected = command.apduCase() == 1 ? 256 : command.ne();
            if (data.length == expected) {
                return respond(data, sw);
            }
            byte[] full = Arrays.copyOf(data, data.length + 2);
            full[data.length] = (byte) (sw >> 8);
            full[data.length + 1] = (byte) sw;
            tearPoint();
            reissueHeader = command;
            reissueLength = data.length;
            reissueResponse = full;
            return new byte[] {0x6C, (byte) data.length};
        }
        tearPoint();
        getResponseData = data;
        getResponseOffset = 0;
        getResponseStatus = new byte[] {(byte) (sw >> 8), (byte) sw};
        return new byte[] {0x61, (byte) data.length};
    }

    private byte[] pendingT0Response(CommandApdu command) {
        if (getResponseData != null) {
            boolean getResponse = (command.cla() & 0xFC) == 0 && command.ins() == 0xC0 && command.p1() == 0
                    && command.p2() == 0 && command.apduCase() <= 2;
            if (getResponse) {
                return serveGetResponse(command);
            }
            clearPendingResponses();
            return null;
        }
        if (reissueHeader != null) {
            boolean reissued = command.sameHeader(reissueHeader) && command.apduCase() == 2
                    && command.ne() == (reissueLength == 0 ? 256 : reissueLength);
            byte[] response = reissueResponse;
            clearPendingResponses();
            return reissued ? response : null;
        }
        return null;
    }

    private byte[] serveGetResponse(CommandApdu command) {
        int wanted = command.apduCase() == 1 ? 256 : command.ne();
        int available = getResponseData.length - getResponseOffset;
        if (wanted > available) {
            return new byte[] {0x6C, (byte) available};
        }
        byte[] response = new byte[wanted + 2];
        System.arraycopy(getResponseData, getResponseOffset, response, 0, wanted);
        getResponseOffset += wanted;
        int remaining = available - wanted;
        if (remaining > 0) {
            response[wanted] = 0x61;
            response[wanted + 1] = (byte) Math.min(remaining, 256);
        } else {
            response[wanted] = getResponseStatus[0];
            response[wanted + 1] = getResponseStatus[1];
            clearPendingResponses();
        }
        return response;
    }

    private void clearPendingResponses() {
        getResponseData = null;
        getResponseStatus = null;
        reissueHeader = null;
        reissueResponse = null;
    }

    private void enterContext(AppletRecord record, String pkg) {
        context = record;
        contextPackage = pkg;
    }

    private void leaveContext() {
        context = null;
        contextPackage = null;
    }

    private void diagnose(String where, Throwable t) {
        Diagnostics.note("card " + name + ": " + where + " threw " + describe(t) + "; answered "
                + (where.equals("process()") ? "6F00" : where.equals("select()") ? "6999" : "nothing"));
    }

    private static String describe(Throwable t) {
        StringBuilder text = new StringBuilder(t.getClass().getName());
        if (t instanceof javacard.framework.CardRuntimeException c) {
            text.append(String.format("(reason 0x%04X)", c.getReason() & 0xFFFF));
        } else if (t.getMessage() != null) {
            text.append(": ").append(t.getMessage());
        }
        for (StackTraceElement e : t.getStackTrace()) {
            if (!ClassLayout.isRuntimeClass(e.getClassName()) && !ClassLayout.isJdkClass(e.getClassName())) {
                text.append(" at ").append(e);
                break;
            }
        }
        return text.toString();
    }

    private static String hex(byte[] bytes) {
        return ekrona.sim.runner.Hex.encode(bytes);
    }

    // ---------------------------------------------------------------- services for the javacard.* API

    /** A tear point: counts it, and loses power here when the armed tear point is reached. */
    public void tearPoint() {
        checkPowered();
        stats.add("tp", 1);
        if (tearAt > 0 && stats.get("tp") == tearAt) {
            torn = true;
            // Applet code may go on running in the JVM (it can catch Throwable); its later stores must not count.
            memoryAtTear = Snapshot.capture(this);
            throw new PowerLoss();
        }
    }

    /** After a power loss, every further API call of the command fails as well. */
    public void checkPowered() {
        if (torn) {
            throw new PowerLoss();
        }
    }

    public void count(String counter, long delta) {
        stats.add(counter, delta);
    }

    /** An object or array made through the API: counted when the applet allocates after install(). */
    public void allocated() {
        if (installing == null) {
            stats.add("alloc", 1);
        }
    }

    public int epoch() {
        return epoch;
    }

    public CardRandom random() {
        if (random == null) {
            random = new CardRandom(config.seed(), name);
        }
        return random;
    }

    public boolean isPersistent(Object array) {
        return !transients.contains(array);
    }

    /**
     * Before the API writes {@code count} elements of a persistent array atomically (journaled inside a
     * transaction): counts the bytes, and rolls back with BUFFER_FULL when the commit capacity would be exceeded.
     */
    public void beforeAtomicWrite(Object array, int offset, int count) {
        if (!isPersistent(array) || count <= 0) {
            return;
        }
        long bytes = (long) count * ClassLayout.elementSize(array);
        if (transaction != null) {
            chargeTransaction(bytes);
            transaction.marks.mark(array, offset, count);
        }
        apiWriteBytes += bytes;
        commandMarks.mark(array, offset, count);
    }

    /** After the API wrote a persistent byte array without journaling (Util.arrayCopyNonAtomic, ...). */
    public void afterNonAtomicWrite(byte[] array, int offset, int count) {
        if (!isPersistent(array) || count <= 0) {
            return;
        }
        apiWriteBytes += count;
        commandMarks.mark(array, offset, count);
        if (transaction != null) {
            transaction.recordNonAtomicWrite(array, offset, count);
        }
    }

    /** Before the API writes a persistent field of one of its own objects. */
    public void beforeFieldWrite(Object owner, String fieldName) {
        ClassLayout layout = ClassLayout.of(owner.getClass());
        int index = layout.indexOf(fieldName);
        if (transaction != null && layout.transactional[index]) {
            chargeTransaction(layout.cardSize[index]);
            transaction.marks.mark(owner, index, 1);
        }
        apiWriteBytes += layout.cardSize[index];
        commandMarks.mark(owner, index, 1);
    }

    /** Restores a non-transactional value if the open transaction aborts (OwnerPIN.update's try counter). */
    public void undoOnAbort(Runnable action) {
        if (transaction != null) {
            transaction.undoOnAbort(action);
        }
    }

    /** Counts a journaled write; one that would overflow the commit buffer rolls back and is not made. */
    private void chargeTransaction(long bytes) {
        if (transaction.apiBytes + bytes > config.commitCapacity()) {
            rollback();
            TransactionException.throwIt(TransactionException.BUFFER_FULL);
        }
        transaction.apiBytes += bytes;
    }

    public void beginTransaction() {
        tearPoint();
        if (transaction != null) {
            TransactionException.throwIt(TransactionException.IN_PROGRESS);
        }
        transaction = new Transaction(Snapshot.capture(this));
    }

    public void commitTransaction() {
        tearPoint();
        if (transaction == null) {
            TransactionException.throwIt(TransactionException.NOT_IN_PROGRESS);
        }
        long written = transaction.bytesWritten();
        if (written > config.commitCapacity()) {
            rollback();
            TransactionException.throwIt(TransactionException.BUFFER_FULL);
        }
        largestTransaction = Math.max(largestTransaction, written);
        transaction = null;
    }

    public void abortTransaction() {
        tearPoint();
        if (transaction == null) {
            TransactionException.throwIt(TransactionException.NOT_IN_PROGRESS);
        }
        rollback();
    }

    private void rollback() {
        Transaction t = transaction;
        transaction = null;
        largestTransaction = Math.max(largestTransaction, t.bytesWritten());
        t.rollback();
    }

    public byte transactionDepth() {
        return (byte) (transaction == null ? 0 : 1);
    }

    public short unusedCommitCapacity() {
        long left = config.commitCapacity() - (transaction == null ? 0 : transaction.bytesWritten());
        return (short) Math.max(0, Math.min(Short.MAX_VALUE, left));
    }

    public short maxCommitCapacity() {
        return (short) Math.min(Short.MAX_VALUE, config.commitCapacity());
    }

    /** Makes a transient array for the applet whose code runs (or for the runtime when {@code system}). */
    public Object makeTransient(Class<?> componentType, short length, byte event, boolean system) {
        if (event != TransientMemory.CLEAR_ON_RESET && event != TransientMemory.CLEAR_ON_DESELECT) {
            SystemException.throwIt(SystemException.ILLEGAL_VALUE);
        }
        if (length < 0) {
            throw new NegativeArraySizeException();
        }
        long bytes = (long) length * ClassLayout.cardSizeOf(componentType);
        if (transients.appletBytes(event) + bytes > config.transientMemory()) {
            SystemException.throwIt(SystemException.NO_TRANSIENT_SPACE);
        }
        Object array = java.lang.reflect.Array.newInstance(componentType, length);
        transients.register(array, event, contextPackage, system);
        return array;
    }

    public byte transientEvent(Object object) {
        return transients.eventOf(object);
    }

    public short availableMemory(byte memoryType) {
        long free;
        switch (memoryType) {
            case 0 -> free = config.persistentMemory() - MemoryAccounting.measure(this).persistent();
            case 1 -> free = config.transientMemory() - transients.appletBytes(TransientMemory.CLEAR_ON_RESET);
            case 2 -> free = config.transientMemory() - transients.appletBytes(TransientMemory.CLEAR_ON_DESELECT);
            default -> {
                SystemException.throwIt(SystemException.ILLEGAL_VALUE);
                return 0;
            }
        }
        return (short) Math.max(0, Math.min(Short.MAX_VALUE, free));
    }

    /** Applet.register(): only during install(), once. */
    public void register(Applet applet, byte[] aidBytes, short offset, byte length) {
        AppletRecord record = installing;
        if (record == null || record.applet != null) {
            SystemException.throwIt(SystemException.ILLEGAL_AID);
        }
        AID aid = record.aid;
        if (aidBytes != null) {
            if (length < 5 || length > 16) {
                SystemException.throwIt(SystemException.ILLEGAL_VALUE);
            }
            aid = new AID(aidBytes, offset, length);
        }
        byte[] raw = new byte[16];
        byte n = aid.getBytes(raw, (short) 0);
        if (registry.find(raw, 0, n) != null) {
            SystemException.throwIt(SystemException.ILLEGAL_AID);
        }
        record.aid = aid;
        record.applet = applet;
        registry.add(record);
    }

    public AID contextAid() {
        return context == null ? null : context.aid;
    }

    public AID lookupAid(byte[] buffer, short offset, byte length) {
        AppletRecord r = registry.find(buffer, offset, length);
        return r == null ? null : r.aid;
    }

    public Applet appletOf(AID aid) {
        for (AppletRecord r : registry.applets) {
            if (r.aid == aid || r.aid.equals(aid)) {
                return r.applet;
            }
        }
        return null;
    }

    public boolean isSelectingApplet(Applet applet) {
        return selectingApplet && selected != null && selected.applet == applet;
    }

    public boolean isReselecting() {
        return reselecting;
    }

    public boolean isActive(AID aid) {
        return selected != null && selected.aid.equals(aid);
    }

    public APDU currentApdu() {
        if (!session.isActive()) {
            throw new SecurityException("no command is being processed");
        }
        return apdu;
    }

    public ApduSession session() {
        return session;
    }

    public byte protocolByte() {
        return protocol == TransmissionProtocol.T1 ? APDU.PROTOCOL_T1 : APDU.PROTOCOL_T0;
    }

    public int chunk() {
        return config.chunk();
    }

    // ---------------------------------------------------------------- persistent graph roots

    boolean isSystemObject(Object o) {
        return o == apduBuffer || o == apdu;
    }

    void noteForbiddenStoreUndone() {
        forbiddenStoreUndone = true;
    }

    byte[] apduBuffer() {
        return apduBuffer;
    }

    APDU apduObject() {
        return apdu;
    }

    /** The applet packages this card has applets from (plus the one being installed). */
    List<AppletPackages.PackageInfo> packages() {
        Set<String> names = new LinkedHashSet<>();
        for (AppletRecord r : registry.applets) {
            names.add(r.contextPackage());
        }
        if (installing != null && contextPackage != null) {
            names.add(contextPackage);
        }
        List<AppletPackages.PackageInfo> out = new ArrayList<>(names.size());
        for (String n : names) {
            AppletPackages.PackageInfo info = AppletPackages.get(n);
            if (info != null) {
                out.add(info);
            }
        }
        return out;
    }

    /** The non-final static fields of this card's applet packages: persistent memory outside any object. */
    List<Field> staticFields() {
        List<Field> fields = new ArrayList<>();
        for (AppletPackages.PackageInfo pkg : packages()) {
            fields.addAll(pkg.staticFields);
        }
        return fields;
    }
}
