package ekrona.sim.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.SecureRandomSpi;

/**
 * A card's random generator. Without a seed it is the JDK's SecureRandom. With the runner's --seed it is a
 * SHA-256 counter stream over (seed, card name), so RandomData, key generation and ECDSA nonces repeat exactly from
 * run to run (for recorded transcripts); each card of a runner gets its own stream.
 */
public final class CardRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;

    public CardRandom(byte[] seed, String cardName) {
        super(new Spi(seed, cardName), null);
    }

    private static final class Spi extends SecureRandomSpi {
        private static final long serialVersionUID = 1L;
        private final byte[] seed;
        private SecureRandom system;
        private long counter;
        private byte[] block = new byte[0];
        private int position;

        Spi(byte[] seed, String cardName) {
            if (seed == null) {
                this.seed = null;
            } else {
                byte[] name = cardName.getBytes(StandardCharsets.UTF_8);
                this.seed = new byte[seed.length + 1 + name.length];
                System.arraycopy(seed, 0, this.seed, 0, seed.length);
                System.arraycopy(name, 0, this.seed, seed.length + 1, name.length);
            }
        }

        /** Seeding from outside is ignored: with --seed the stream must not depend on it. */
        @Override
        protected void engineSetSeed(byte[] extra) {
        }

        @Override
        protected void engineNextBytes(byte[] out) {
            if (seed == null) {
                if (system == null) {
                    system = new SecureRandom();
                }
                system.nextBytes(out);
                return;
            }
            for (int i = 0; i < out.length; i++) {
                if (position == block.length) {
                    block = nextBlock();
                    position = 0;
                }
                out[i] = block[position++];
            }
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            byte[] out = new byte[numBytes];
            engineNextBytes(out);
            return out;
        }

        private byte[] nextBlock() {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                sha.update(seed);
                long c = counter++;
                for (int i = 7; i >= 0; i--) {
                    sha.update((byte) (c >>> (8 * i)));
                }
                return sha.digest();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
