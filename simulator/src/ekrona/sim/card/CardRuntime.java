package ekrona.sim.card;

import ekrona.sim.runner.RunnerException;

/**
 * Where the javacard.* classes find the card they run on. Card code runs under one global lock: the static fields
 * of applet classes exist once per JVM, so only one card's values can be live at a time (see {@link CardStatics}).
 */
public final class CardRuntime {
    private static final Object LOCK = new Object();
    private static Card live;
    private static volatile Card executing;

    @FunctionalInterface
    interface Action<T> {
        T run() throws RunnerException;
    }

    private CardRuntime() {
    }

    /** The card whose code is running; the API is usable only inside a card operation. */
    public static Card card() {
        Card c = executing;
        if (c == null) {
            throw new IllegalStateException("a Java Card API method was called outside a card operation");
        }
        return c;
    }

    static <T> T run(Card card, Action<T> action) throws RunnerException {
        synchronized (LOCK) {
            if (live != card) {
                if (live != null) {
                    live.statics.saveLive();
                }
                card.statics.restoreLive();
                live = card;
            }
            Card outer = executing;
            executing = card;
            try {
                return action.run();
            } finally {
                executing = outer;
            }
        }
    }
}
