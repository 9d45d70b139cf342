package ekrona.sim.card;

import ekrona.sim.runner.ApduResult;
import ekrona.sim.runner.CardSession;
import ekrona.sim.runner.MemoryReport;
import ekrona.sim.runner.RunnerException;
import ekrona.sim.runner.Stats;
import ekrona.sim.runner.TransmissionProtocol;

/** The runner's view of one {@link Card}: every call runs on the card under the runtime's lock. */
final class SimulatorSession implements CardSession {
    private final Card card;
    private final boolean loaded;

    SimulatorSession(Card card, boolean loaded) {
        this.card = card;
        this.loaded = loaded;
    }

    @Override
    public String name() {
        return card.name;
    }

    @Override
    public boolean loadedFromStateFile() {
        return loaded;
    }

    @Override
    public void install(String className, byte[] instanceAid, byte[] installData) throws RunnerException {
        CardRuntime.run(card, () -> {
            card.install(className, instanceAid, installData);
            return null;
        });
    }

    @Override
    public boolean hasApplet(byte[] instanceAid) throws RunnerException {
        return CardRuntime.run(card, () -> card.hasApplet(instanceAid));
    }

    @Override
    public byte[] powerOn() throws RunnerException {
        return CardRuntime.run(card, card::powerOn);
    }

    @Override
    public void powerOff() throws RunnerException {
        CardRuntime.run(card, () -> {
            card.powerOff();
            return null;
        });
    }

    @Override
    public byte[] reset() throws RunnerException {
        return CardRuntime.run(card, () -> {
            card.powerOff();
            return card.powerOn();
        });
    }

    @Override
    public boolean isPowered() {
        return card.isPowered();
    }

    @Override
    public byte[] atr() {
        return card.atr();
    }

    @Override
    public ApduResult transmit(byte[] command) throws RunnerException {
        if (!card.isPowered()) {
            throw new RunnerException("card " + card.name + " is powered off; send 'power on' first");
        }
        return CardRuntime.run(card, () -> card.transmit(command));
    }

    @Override
    public void armTear(int n) {
        card.armTear(n);
    }

    @Override
    public void setProtocol(TransmissionProtocol protocol) {
        card.setProtocol(protocol);
    }

    @Override
    public Stats lastStats() {
        return card.lastStats();
    }

    @Override
    public Stats totals() {
        return card.totals();
    }

    @Override
    public MemoryReport memory() throws RunnerException {
        MemoryAccounting.Report r = CardRuntime.run(card, card::memory);
        return new MemoryReport(r.persistent(), r.transientReset(), r.transientDeselect());
    }

    @Override
    public void save() throws RunnerException {
        CardRuntime.run(card, () -> {
            card.save();
            return null;
        });
    }
}
