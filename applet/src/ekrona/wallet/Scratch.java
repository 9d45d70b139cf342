package ekrona.wallet;

/**
 * Layout of the applet's one transient scratch array (allocated by WalletApplet, shared by the classes that
 * need working memory), so that two users of a region never overlap by accident.
 */
final class Scratch {
    private Scratch() {}

    /** A DER signature on its way to or from the crypto API; also the output of the point check. */
    static final short DER = 0;
    /** 4-byte temporaries: sums and differences checked before a transaction writes them. */
    static final short TMP = (short) (DER + EcdsaCodec.DER_MAX_LENGTH);
    static final short TMP_LENGTH = 16;
    /** An intermediary key verified during a command, written to the cache only if the command succeeds. */
    static final short STAGE = (short) (TMP + TMP_LENGTH);
    static final short STAGE_LENGTH = (short) (2 + Protocol.LEN_INTERMEDIARY_ID + Protocol.LEN_PUBLIC_KEY);
    /** Structures being built and signed: a log record, then a second structure (a confirmation) after it. */
    static final short WORK = (short) (STAGE + STAGE_LENGTH);
    static final short WORK_LENGTH = (short) (2 * Protocol.LEN_RECORD);

    static final short LENGTH = (short) (WORK + WORK_LENGTH);
}
