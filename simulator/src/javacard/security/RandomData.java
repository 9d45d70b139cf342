package javacard.security;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;
import ekrona.sim.crypto.CryptoFactory;

/** Random numbers from the card's generator (deterministic when the runner was started with --seed). */
public abstract class RandomData {
    public static final byte ALG_PSEUDO_RANDOM = 1;
    public static final byte ALG_SECURE_RANDOM = 2;
    /** Java Card 3.0.5 only (listed in simulator/api-3.0.5-only.txt). */
    public static final byte ALG_TRNG = 3;

    protected RandomData() {
    }

    public static final RandomData getInstance(byte algorithm) throws CryptoException {
        Card card = CardRuntime.card();
        card.tearPoint();
        RandomData r = CryptoFactory.random(algorithm);
        card.allocated();
        return r;
    }

    public abstract void generateData(byte[] buffer, short offset, short length) throws CryptoException;

    public abstract void setSeed(byte[] buffer, short offset, short length);

    /** Java Card 3.0.5 only (listed in simulator/api-3.0.5-only.txt). */
    public abstract short nextBytes(byte[] buffer, short offset, short length) throws CryptoException;

    /** Java Card 3.0.5 only (listed in simulator/api-3.0.5-only.txt). */
    public abstract byte getAlgorithm();
}
