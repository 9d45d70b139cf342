package ekrona.sim.jcardsim;

import com.licel.jcardsim.base.Simulator;
import com.licel.jcardsim.base.SimulatorRuntime;
import ekrona.sim.runner.ApduResult;
import ekrona.sim.runner.CardSession;
import ekrona.sim.runner.Hex;
import ekrona.sim.runner.MemoryReport;
import ekrona.sim.runner.RunnerException;
import ekrona.sim.runner.Stats;
import ekrona.sim.runner.TransmissionProtocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javacard.framework.AID;
import javacard.framework.Applet;

/**
 * One card as a jCardSim simulator. jCardSim keeps its current runtime in a static field, so every call into it is
 * made under one lock shared by all cards. What jCardSim cannot do (power loss, operation counters, memory
 * accounting, T=0, state files) is refused with one sentence; an APDU's counters other than in, out and us are 0.
 */
final class JCardSimSession implements CardSession {
    private static final Object JCARDSIM = new Object();

    private final String name;
    private final Simulator simulator;
    private final List<byte[]> installed = new ArrayList<>();
    private boolean powered;
    private Stats last = new Stats();
    private Stats totals = new Stats();

    JCardSimSession(String name) {
        this.name = name;
        synchronized (JCARDSIM) {
            simulator = new Simulator(new SimulatorRuntime());
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
        last = new Stats();
        totals = new Stats();
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
            try {
                response = simulator.transmitCommand(command);
            } catch (RuntimeException e) {
                throw new RunnerException("jCardSim failed on the APDU: " + e, e);
            }
        }
        Stats stats = new Stats();
        stats.set("in", command.length);
        stats.set("out", response.length);
        stats.set("us", (System.nanoTime() - start) / 1000);
        last = stats;
        totals.accumulate(stats);
        return new ApduResult(response, stats.copy());
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
