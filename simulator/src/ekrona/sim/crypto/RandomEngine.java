package ekrona.sim.crypto;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;
import javacard.security.RandomData;

/** Random data from the card's generator, whatever algorithm was asked for. setSeed is accepted and ignored. */
final class RandomEngine extends RandomData {
    private byte algorithm;

    RandomEngine(byte algorithm) {
        this.algorithm = algorithm;
    }

    @Override
    public void generateData(byte[] buffer, short offset, short length) {
        Card card = CardRuntime.card();
        card.tearPoint();
        Bytes.check(buffer, offset, length);
        byte[] bytes = new byte[length];
        card.random().nextBytes(bytes);
        Bytes.write(bytes, buffer, offset);
    }

    @Override
    public short nextBytes(byte[] buffer, short offset, short length) {
        generateData(buffer, offset, length);
        return (short) (offset + length);
    }

    @Override
    public void setSeed(byte[] buffer, short offset, short length) {
        CardRuntime.card().tearPoint();
        Bytes.check(buffer, offset, length);
    }

    @Override
    public byte getAlgorithm() {
        return algorithm;
    }
}
