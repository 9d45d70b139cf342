package ekrona.sim.runner;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Connects one card to vsmartcard's vpcd driver (loaded by pcscd) as its virtual card. Wire format, both ways: a
 * 2-byte big-endian length, then that many bytes; a 1-byte message from vpcd is a control code. When the driver goes
 * away (pcscd restarts) the client reconnects quietly, as a card re-inserted into the reader.
 */
final class VpcdClient {
    private static final int CTRL_OFF = 0;
    private static final int CTRL_ON = 1;
    private static final int CTRL_RESET = 2;
    private static final int CTRL_ATR = 4;
    private static final int CONNECT_TIMEOUT_MS = 2000;
    private static final long RECONNECT_DELAY_MS = 500;

    private final CardSession card;
    private final String host;
    private final int port;
    private Socket socket;

    VpcdClient(CardSession card, String host, int port) {
        this.card = card;
        this.host = host;
        this.port = port;
    }

    String address() {
        return host + ":" + port;
    }

    void connectFirst() throws IOException {
        socket = open();
    }

    void start() {
        Thread thread = new Thread(this::run, "vpcd-" + card.name());
        thread.setDaemon(true);
        thread.start();
    }

    private Socket open() throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
            s.setTcpNoDelay(true);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    private void run() {
        while (true) {
            try {
                serve(socket);
            } catch (IOException e) {
                Diagnostics.note("card " + card.name() + ": vpcd connection to " + address() + " lost (" + e.getMessage()
                        + "); reconnecting");
            }
            closeQuietly(socket);
            socket = reconnect();
        }
    }

    private Socket reconnect() {
        while (true) {
            try {
                Thread.sleep(RECONNECT_DELAY_MS);
                Socket s = open();
                Diagnostics.note("card " + card.name() + ": reconnected to vpcd at " + address());
                return s;
            } catch (IOException e) {
                // pcscd is not back yet; keep trying quietly
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private void serve(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        while (true) {
            int length;
            try {
                length = in.readUnsignedShort();
            } catch (EOFException e) {
                throw new IOException("vpcd closed the connection");
            }
            byte[] message = new byte[length];
            in.readFully(message);
            if (length == 1) {
                control(message[0] & 0xFF, out);
            } else if (length > 1) {
                byte[] response = command(message);
                if (response == null) {
                    // The armed power loss happened: the card leaves the reader, as a torn card does.
                    throw new IOException("power loss armed by 'tear' happened; card removed");
                }
                send(out, response);
            }
        }
    }

    private void control(int code, DataOutputStream out) throws IOException {
        byte[] atr = null;
        synchronized (card) {
            try {
                switch (code) {
                    case CTRL_OFF -> card.powerOff();
                    case CTRL_ON -> card.powerOn();
                    case CTRL_RESET -> card.reset();
                    case CTRL_ATR -> atr = card.atr();
                    default -> Diagnostics.note("card " + card.name() + ": unknown vpcd control code " + code);
                }
            } catch (RunnerException e) {
                Diagnostics.note("card " + card.name() + ": " + e.getMessage());
            }
        }
        if (atr != null) {
            send(out, atr);
        }
    }

    private byte[] command(byte[] apdu) {
        synchronized (card) {
            try {
                if (!card.isPowered()) {
                    card.powerOn();
                }
                ApduResult result = card.transmit(apdu);
                return result.response();
            } catch (RunnerException e) {
                Diagnostics.note("card " + card.name() + ": " + e.getMessage());
                return new byte[] {0x6F, 0x00};
            }
        }
    }

    private static void send(DataOutputStream out, byte[] message) throws IOException {
        out.writeShort(message.length);
        out.write(message);
        out.flush();
    }

    private static void closeQuietly(Socket s) {
        try {
            if (s != null) {
                s.close();
            }
        } catch (IOException e) {
            // already gone
        }
    }
}
