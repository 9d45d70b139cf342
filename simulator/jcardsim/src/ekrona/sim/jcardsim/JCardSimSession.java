package ekrona.sim.jcardsim;

import com.licel.jcardsim.base.ApduCase;
import com.licel.jcardsim.base.Simulator;
import ekrona.sim.runner.ApduResult;
import ekrona.sim.runner.CardSession;
import ekrona.sim.runner.Diagnostics;
import ekrona.sim.runner.Hex;
import ekrona.sim.runner.MemoryReport;
import ekrona.sim.runner.RunnerException;
import ekrona.sim.runner.Stats;
import ekrona.sim.runner.TransmissionProtocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import javacard.framework.AID;
import javacard.framework.Applet;

/**
 * One card as a jCardSim simulator with a runtime of its own. jCardSim keeps its current runtime in a static
 * (thread-local) field and its API classes have static state, so every call into it is made under one lock shared
 * by all cards. What jCardSim cannot do (power loss, operation counters, memory accounting, T=0, state files) is
 * refused with one sentence; an APDU's counters other than in, out and us are 0.
 *
 * <p>Two answers come from the bridge, not from jCardSim, because jCardSim throws instead of answering: a command
 * whose length does not match its Lc/Le (jCardSim: IllegalArgumentException) is answered {@code 6700}, as a card
 * does; an exception escaping jCardSim's own dispatch (outside the applet; e.g. its SELECT lookup on an AID field of
 * 128 bytes or more) is answered {@code 6F00}, with a line on stderr naming it.
 */
final class JCardSimSession implements CardSession {
    private static final Object JCARDSIM = new Object();
    private static final byte[] SW_WRONG_LENGTH = {0x67, 0x00};
    private static final byte[] SW_UNKNOWN = {0x6F, 0x00};

    static {
        JCardSimChatter.silence();
    }

    private final String name;
    private final BridgeRuntime runtime;
    private final Simulator simulator;
    private final List<byte[]> installed = new ArrayList<>();
    private boolean powered;

    JCardSimSession(String name) {
        this.name = name;
        synchronized (JCARDSIM) {
            runtime = new BridgeRuntime();
            // No system properties: jCardSim would otherwise pre-load the applets named by
            // com.licel.jcardsim.card.applet.N.* properties into every card.
            simulator = new Simulator(runtime, new Properties()) {
            };
            simulator.changeProtocol("T=1");
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean loadedFromStateFile() {
        return false;
    }

    @Override
    public void install(String className, byte[] instanceAid, byte[] installData) throws RunnerException {
        if (hasApplet(instanceAid)) {
            throw new RunnerException("card " + name + " already has an applet with AID " + Hex.encode(instanceAid));
        }
        Class<? extends Applet> type;
        try {
            type = Class.forName(className).asSubclass(Applet.class);
        } catch (ClassNotFoundException | ClassCastException | LinkageError e) {
            throw new RunnerException("no applet class " + className + " on the runner's classpath");
        }
        synchronized (JCARDSIM) {
            try {
                // As selecting a card manager to install would (docs/RUNNER.md, install).
                if (powered) {
                    runtime.deselectCurrent();
                }
                AID aid = new AID(instanceAid, (short) 0, (byte) instanceAid.length);
                simulator.installApplet(aid, type, installData, (short) 0, (byte) installData.length);
            } catch (RuntimeException e) {
                throw new RunnerException(className + ".install failed in jCardSim: " + e, e);
            }
        }
        installed.add(instanceAid.clone());
    }

    @Override
    public boolean hasApplet(byte[] instanceAid) {
        for (byte[] aid : installed) {
            if (Arrays.equals(aid, instanceAid)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public byte[] powerOn() {
        synchronized (JCARDSIM) {
            simulator.reset();
        }
        powered = true;
        return atr();
    }

    /** jCardSim has no power-off state: the card is reset when powered on again. */
    @Override
    public void powerOff() {
        powered = false;
    }

    @Override
    public byte[] reset() {
        powerOff();
        return powerOn();
    }

    @Override
    public boolean isPowered() {
        return powered;
    }

    @Override
    public byte[] atr() {
        return simulator.getATR();
    }

    @Override
    public ApduResult transmit(byte[] command) throws RunnerException {
        if (!powered) {
            throw new RunnerException("card " + name + " is powered off; send 'power on' first");
        }
        long start = System.nanoTime();
        byte[] response;
        synchronized (JCARDSIM) {
            response = transmitLocked(command);
        }
        Stats stats = new Stats();
        stats.set("in", command.length);
        stats.set("out", response.length);
        stats.set("us", (System.nanoTime() - start) / 1000);
        return new ApduResult(response, stats);
    }

    private byte[] transmitLocked(byte[] command) {
        try {
            ApduCase.getCase(command);
        } catch (IllegalArgumentException e) {
            return SW_WRONG_LENGTH.clone();
        }
        try {
            return simulator.transmitCommand(command);
        } catch (RuntimeException e) {
            StackTraceElement[] trace = e.getStackTrace();
            Diagnostics.note("card " + name + ": jCardSim threw " + e
                    + (trace.length > 0 ? " at " + trace[0] : "") + " outside the applet; answered 6F00");
            return SW_UNKNOWN.clone();
        }
    }

    @Override
    public void armTear(int n) throws RunnerException {
        if (n != 0) {
            throw new RunnerException("jCardSim cannot simulate a power loss (tear)");
        }
    }

    @Override
    public void setProtocol(TransmissionProtocol protocol) throws RunnerException {
        if (protocol != TransmissionProtocol.T1) {
            throw new RunnerException("jCardSim cannot behave as a T=0 card (no 61xx/GET RESPONSE, no 6Cxx)");
        }
    }

    @Override
    public Stats lastStats() throws RunnerException {
        throw new RunnerException("jCardSim cannot count card operations (signatures, tear points, persistent writes)");
    }

    @Override
    public Stats totals() throws RunnerException {
        return lastStats();
    }

    @Override
    public MemoryReport memory() throws RunnerException {
        throw new RunnerException("jCardSim cannot account for the memory an applet holds");
    }

    @Override
    public void save() throws RunnerException {
        throw new RunnerException("jCardSim cannot keep a card's persistent memory in a state file");
    }
}
