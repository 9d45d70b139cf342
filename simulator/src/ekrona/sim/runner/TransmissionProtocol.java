package ekrona.sim.runner;

/** The ISO 7816-3 transmission protocol a card behaves as. */
public enum TransmissionProtocol {
    T0, T1
}
