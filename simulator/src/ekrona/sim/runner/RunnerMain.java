package ekrona.sim.runner;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The runner's command line: start flags, then one of the modes of docs/RUNNER.md (stdio, TCP, vpcd only). Shared by
 * every backend; a backend's main class only constructs its {@link CardBackend} and calls {@link #run}.
 */
public final class RunnerMain {
    private static final String USAGE = String.join("\n",
            "usage: java ... MAIN [--stdio | --tcp HOST:PORT] [start flags]",
            "  --stdio                      serve the line protocol on stdin/stdout (the default)",
            "  --tcp HOST:PORT              serve it to any number of TCP clients instead",
            "  --card NAME[=STATEFILE]      create (or load) a card at start",
            "  --install CARD:CLASS:AID[:PARAMS]  install an applet at start, unless the card already has AID",
            "  --vpcd NAME=HOST:PORT        connect card NAME to pcscd's vpcd driver (alone: run as vpcd client only)",
            "  --quiet                      no diagnostics on stderr",
            "  backend flags (ekrona simulator): --seed HEX, --chunk N, --commit-capacity N,",
            "    --persistent-memory N, --transient-memory N",
            "see docs/RUNNER.md");

    private enum Mode { STDIO, TCP, VPCD_ONLY }

    private record StartAction(String kind, String value) {
    }

    private RunnerMain() {
    }

    public static void run(String[] args, CardBackend backend) {
        // The protocol owns the real stdout; anything else printing to System.out (an applet's debugging line)
        // goes to stderr instead of corrupting the answers.
        OutputStream protocolOut = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
        try {
            System.exit(start(args, backend, protocolOut));
        } catch (RunnerException e) {
            Diagnostics.always(e.getMessage());
            System.exit(2);
        }
    }

    private static int start(String[] args, CardBackend backend, OutputStream protocolOut) throws RunnerException {
        Mode mode = null;
        HostPort tcp = null;
        List<StartAction> actions = new ArrayList<>();
        Map<String, String> settings = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String flag = arg;
            String inlineValue = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0 && !arg.startsWith("--card") && !arg.startsWith("--vpcd")) {
                flag = arg.substring(0, eq);
                inlineValue = arg.substring(eq + 1);
            }
            switch (flag) {
                case "--help", "-h" -> {
                    System.err.println(USAGE);
                    return 0;
                }
                case "--stdio" -> mode = chooseMode(mode, Mode.STDIO);
                case "--tcp" -> {
                    mode = chooseMode(mode, Mode.TCP);
                    tcp = HostPort.parse(value(args, ++i, "--tcp"), "--tcp");
                }
                case "--card", "--install", "--vpcd" -> actions.add(new StartAction(flag, value(args, ++i, flag)));
                case "--quiet" -> Diagnostics.setQuiet(true);
                default -> {
                    if (!flag.startsWith("--") || flag.length() == 2) {
                        throw new RunnerException("unknown argument '" + arg + "'; see --help");
                    }
                    settings.put(flag.substring(2), inlineValue != null ? inlineValue : value(args, ++i, flag));
                }
            }
        }
        backend.configure(settings);
        CardHost host = new CardHost(backend);
        boolean vpcd = false;
        for (StartAction action : actions) {
            vpcd |= action.kind().equals("--vpcd");
            applyStartAction(host, action);
        }
        if (mode == null) {
            mode = vpcd ? Mode.VPCD_ONLY : Mode.STDIO;
        }
        switch (mode) {
            case STDIO -> serveStdio(host, protocolOut);
            case TCP -> serveTcp(host, tcp);
            case VPCD_ONLY -> waitForever();
        }
        return 0;
    }

    private static Mode chooseMode(Mode current, Mode wanted) throws RunnerException {
        if (current != null && current != wanted) {
            throw new RunnerException("choose one of --stdio and --tcp");
        }
        return wanted;
    }

    private static String value(String[] args, int i, String flag) throws RunnerException {
        if (i >= args.length) {
            throw new RunnerException(flag + " needs a value; see --help");
        }
        return args[i];
    }

    private static void applyStartAction(CardHost host, StartAction action) throws RunnerException {
        String value = action.value();
        switch (action.kind()) {
            case "--card" -> {
                int eq = value.indexOf('=');
                String name = LineProtocol.cardName(eq < 0 ? value : value.substring(0, eq));
                host.create(name, eq < 0 ? null : Path.of(value.substring(eq + 1)));
            }
            case "--install" -> {
                String[] parts = value.split(":", -1);
                if (parts.length < 3 || parts.length > 4) {
                    throw new RunnerException("--install takes CARD:CLASS:AID[:PARAMS], not '" + value + "'");
                }
                CardSession card = host.get(parts[0]);
                byte[] aid = LineProtocol.aid(parts[2]);
                byte[] params = parts.length == 4 ? Hex.decode(parts[3], "PARAMS") : new byte[0];
                synchronized (card) {
                    if (!card.hasApplet(aid)) {
                        card.install(parts[1], aid, LineProtocol.installData(aid, params));
                    }
                }
            }
            case "--vpcd" -> {
                int eq = value.indexOf('=');
                if (eq <= 0) {
                    throw new RunnerException("--vpcd takes NAME=HOST:PORT, not '" + value + "'");
                }
                HostPort address = HostPort.parse(value.substring(eq + 1), "--vpcd");
                host.connectVpcd(value.substring(0, eq), address.host(), address.port());
            }
            default -> throw new IllegalStateException(action.kind());
        }
    }

    private static void serveStdio(CardHost host, OutputStream out) {
        serveConnection(host, System.in, out);
    }

    private static void serveConnection(CardHost host, InputStream in, OutputStream out) {
        LineProtocol protocol = new LineProtocol(host);
        LineReader reader = new LineReader(in);
        try {
            String line;
            while ((line = reader.readLine()) != null) {
                String answer = line == LineReader.TOO_LONG
                        ? "err a request line is at most " + LineProtocol.MAX_LINE + " characters"
                        : protocol.handle(line);
                out.write(answer.getBytes(StandardCharsets.US_ASCII));
                out.write('\n');
                out.flush();
                if (protocol.quitRequested()) {
                    break;
                }
            }
        } catch (IOException e) {
            Diagnostics.note("connection closed: " + e.getMessage());
        }
    }

    private static void serveTcp(CardHost host, HostPort address) throws RunnerException {
        ServerSocket server;
        try {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getByName(address.host()), address.port()));
        } catch (IOException e) {
            throw new RunnerException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
        Diagnostics.always("listening on " + address.host() + ":" + server.getLocalPort());
        while (true) {
            Socket client;
            try {
                client = server.accept();
                client.setTcpNoDelay(true);
            } catch (IOException e) {
                Diagnostics.note("accept failed: " + e.getMessage());
                continue;
            }
            Thread thread = new Thread(() -> {
                try (Socket s = client) {
                    serveConnection(host, s.getInputStream(), new BufferedOutputStream(s.getOutputStream()));
                } catch (IOException e) {
                    Diagnostics.note("client " + client.getRemoteSocketAddress() + ": " + e.getMessage());
                }
            }, "client-" + client.getRemoteSocketAddress());
            thread.setDaemon(true);
            thread.start();
        }
    }

    private static void waitForever() {
        Diagnostics.always("running as vpcd client only; stop with Ctrl-C");
        try {
            Thread.currentThread().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
