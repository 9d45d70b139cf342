package ekrona.sim.runner;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One connection's side of the text protocol of docs/RUNNER.md: one request line in, one answer line out. Each
 * connection has its own current card.
 */
public final class LineProtocol {
    public static final String NAME = "ekrona-runner";
    public static final int VERSION = 1;
    public static final int MAX_LINE = 4096;

    private static final String NAME_PATTERN = "[A-Za-z0-9._-]{1,64}";
    private static final int MAX_INSTALL_DATA = 127;

    @FunctionalInterface
    private interface Verb {
        String run(String[] args) throws RunnerException;
    }

    private final CardHost host;
    private final Map<String, Verb> verbs = new LinkedHashMap<>();
    private CardSession current;
    private boolean quit;

    public LineProtocol(CardHost host) {
        this.host = host;
        verbs.put("hello", this::hello);
        verbs.put("card", this::card);
        verbs.put("use", this::use);
        verbs.put("cards", this::cards);
        verbs.put("install", this::install);
        verbs.put("power", this::power);
        verbs.put("reset", this::reset);
        verbs.put("apdu", this::apdu);
        verbs.put("tear", this::tear);
        verbs.put("proto", this::proto);
        verbs.put("stats", this::stats);
        verbs.put("mem", this::mem);
        verbs.put("save", this::save);
        verbs.put("vpcd", this::vpcd);
        verbs.put("quit", this::quit);
    }

    /** True once {@code quit} was answered: the caller closes the connection. */
    public boolean quitRequested() {
        return quit;
    }

    /** Answers one request line (without its line end). Never throws. */
    public String handle(String line) {
        String trimmed = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        if (trimmed.length() > MAX_LINE) {
            return err("a request line is at most " + MAX_LINE + " characters");
        }
        for (int i = 0; i < trimmed.length(); i++) {
            char c = trimmed.charAt(i);
            if (c > 126 || (c < 32 && c != '\t')) {
                return err("a request line is printable ASCII only");
            }
        }
        String[] tokens = Arrays.stream(trimmed.trim().split("[ \t]+")).filter(t -> !t.isEmpty()).toArray(String[]::new);
        if (tokens.length == 0) {
            return err("empty request; send a verb such as 'hello'");
        }
        Verb verb = verbs.get(tokens[0]);
        if (verb == null) {
            return err("unknown verb '" + tokens[0] + "'; known verbs: " + String.join(" ", verbs.keySet()));
        }
        try {
            return verb.run(Arrays.copyOfRange(tokens, 1, tokens.length));
        } catch (RunnerException e) {
            return err(e.getMessage());
        } catch (RuntimeException e) {
            return err("internal error in the runner: " + e);
        }
    }

    private static String err(String sentence) {
        return "err " + sentence.replace('\n', ' ');
    }

    private String hello(String[] args) throws RunnerException {
        arity(args, 0, 0, "hello");
        return "ok " + NAME + " " + VERSION;
    }

    private String card(String[] args) throws RunnerException {
        arity(args, 1, 2, "card NAME [STATEFILE]");
        String name = cardName(args[0]);
        Path stateFile = args.length > 1 ? Path.of(args[1]) : null;
        CardSession session = host.create(name, stateFile);
        current = session;
        return session.loadedFromStateFile() ? "ok loaded" : "ok new";
    }

    private String use(String[] args) throws RunnerException {
        arity(args, 1, 1, "use NAME");
        current = host.get(args[0]);
        return "ok";
    }

    private String cards(String[] args) throws RunnerException {
        arity(args, 0, 0, "cards");
        return ("ok " + String.join(" ", host.names())).trim();
    }

    private String install(String[] args) throws RunnerException {
        arity(args, 2, 3, "install CLASS AID [PARAMS]");
        byte[] aid = aid(args[1]);
        byte[] params = args.length > 2 ? Hex.decode(args[2], "PARAMS") : new byte[0];
        byte[] installData = installData(aid, params);
        CardSession card = currentCard();
        synchronized (card) {
            card.install(args[0], aid, installData);
        }
        return "ok";
    }

    private String power(String[] args) throws RunnerException {
        arity(args, 1, 1, "power on|off");
        CardSession card = currentCard();
        synchronized (card) {
            switch (args[0]) {
                case "on":
                    return "ok " + Hex.encode(card.powerOn());
                case "off":
                    card.powerOff();
                    return "ok";
                default:
                    throw new RunnerException("power takes 'on' or 'off', not '" + args[0] + "'");
            }
        }
    }

    private String reset(String[] args) throws RunnerException {
        arity(args, 0, 0, "reset");
        CardSession card = currentCard();
        synchronized (card) {
            return "ok " + Hex.encode(card.reset());
        }
    }

    private String apdu(String[] args) throws RunnerException {
        arity(args, 1, 1, "apdu HEX");
        byte[] command = Hex.decode(args[0], "the APDU");
        if (command.length == 0) {
            throw new RunnerException("the APDU is empty");
        }
        CardSession card = currentCard();
        ApduResult result;
        synchronized (card) {
            if (!card.isPowered()) {
                throw new RunnerException("card " + card.name() + " is powered off; send 'power on' first");
            }
            result = card.transmit(command);
        }
        if (result.torn()) {
            return "tear " + result.stats().format("");
        }
        return "ok " + Hex.encode(result.response()) + " " + result.stats().format("");
    }

    private String tear(String[] args) throws RunnerException {
        arity(args, 1, 1, "tear N");
        int n;
        try {
            n = Integer.parseInt(args[0]);
        } catch (NumberFormatException e) {
            throw new RunnerException("tear takes a tear point number (0 disarms), not '" + args[0] + "'");
        }
        if (n < 0) {
            throw new RunnerException("tear takes a tear point number >= 0, not " + n);
        }
        CardSession card = currentCard();
        synchronized (card) {
            card.armTear(n);
        }
        return "ok";
    }

    private String proto(String[] args) throws RunnerException {
        arity(args, 1, 1, "proto T0|T1");
        TransmissionProtocol protocol;
        try {
            protocol = TransmissionProtocol.valueOf(args[0].toUpperCase());
        } catch (IllegalArgumentException e) {
            throw new RunnerException("proto takes T0 or T1, not '" + args[0] + "'");
        }
        CardSession card = currentCard();
        synchronized (card) {
            card.setProtocol(protocol);
        }
        return "ok";
    }

    private String stats(String[] args) throws RunnerException {
        arity(args, 0, 0, "stats");
        CardSession card = currentCard();
        synchronized (card) {
            return "ok " + card.lastStats().format("") + " " + card.totals().format("total.");
        }
    }

    private String mem(String[] args) throws RunnerException {
        arity(args, 0, 0, "mem");
        CardSession card = currentCard();
        MemoryReport report;
        synchronized (card) {
            report = card.memory();
        }
        return "ok persistent=" + report.persistent() + " transient_reset=" + report.transientReset()
                + " transient_deselect=" + report.transientDeselect();
    }

    private String save(String[] args) throws RunnerException {
        arity(args, 0, 0, "save");
        CardSession card = currentCard();
        synchronized (card) {
            card.save();
        }
        return "ok";
    }

    private String vpcd(String[] args) throws RunnerException {
        arity(args, 2, 2, "vpcd NAME HOST:PORT");
        HostPort address = HostPort.parse(args[1], "vpcd");
        host.connectVpcd(args[0], address.host(), address.port());
        return "ok";
    }

    private String quit(String[] args) throws RunnerException {
        arity(args, 0, 0, "quit");
        quit = true;
        return "ok";
    }

    private CardSession currentCard() throws RunnerException {
        if (current == null) {
            throw new RunnerException("no current card on this connection; send 'card NAME' or 'use NAME' first");
        }
        return current;
    }

    private static void arity(String[] args, int min, int max, String usage) throws RunnerException {
        if (args.length < min || args.length > max) {
            throw new RunnerException("usage: " + usage);
        }
    }

    static String cardName(String name) throws RunnerException {
        if (!name.matches(NAME_PATTERN)) {
            throw new RunnerException("a card name is 1 to 64 letters, digits, '.', '_' or '-', not '" + name + "'");
        }
        return name;
    }

    static byte[] aid(String hex) throws RunnerException {
        byte[] aid = Hex.decode(hex, "AID");
        if (aid.length < 5 || aid.length > 16) {
            throw new RunnerException("an AID is 5 to 16 bytes, got " + aid.length);
        }
        return aid;
    }

    /** GlobalPlatform's install data: LEN(AID) AID LEN(privileges)=01 00 LEN(PARAMS) PARAMS. */
    static byte[] installData(byte[] aid, byte[] params) throws RunnerException {
        int length = 1 + aid.length + 2 + 1 + params.length;
        if (length > MAX_INSTALL_DATA) {
            throw new RunnerException("install data (AID, privileges and PARAMS) is at most " + MAX_INSTALL_DATA
                    + " bytes on Java Card, got " + length);
        }
        byte[] data = new byte[length];
        int i = 0;
        data[i++] = (byte) aid.length;
        System.arraycopy(aid, 0, data, i, aid.length);
        i += aid.length;
        data[i++] = 1;
        data[i++] = 0;
        data[i++] = (byte) params.length;
        System.arraycopy(params, 0, data, i, params.length);
        return data;
    }
}
