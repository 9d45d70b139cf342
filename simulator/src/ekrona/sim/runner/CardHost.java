package ekrona.sim.runner;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cards one runner hosts, shared by all its connections. Every exchange with a card is made while holding that
 * card's session as a lock, so two connections (or a connection and vpcd) never interleave on one card.
 */
public final class CardHost {
    private final CardBackend backend;
    private final Map<String, CardSession> cards = new LinkedHashMap<>();
    private final Map<Path, String> stateFileOwners = new HashMap<>();
    private final Map<String, VpcdClient> vpcdClients = new HashMap<>();

    public CardHost(CardBackend backend) {
        this.backend = backend;
    }

    public synchronized CardSession create(String name, Path stateFile) throws RunnerException {
        if (cards.containsKey(name)) {
            throw new RunnerException("a card named " + name + " already exists; send 'use " + name + "' to talk to it");
        }
        Path key = stateFile == null ? null : stateFile.toAbsolutePath().normalize();
        if (key != null && stateFileOwners.containsKey(key)) {
            throw new RunnerException("state file " + stateFile + " already belongs to card " + stateFileOwners.get(key));
        }
        CardSession session = backend.createCard(name, stateFile);
        cards.put(name, session);
        if (key != null) {
            stateFileOwners.put(key, name);
        }
        return session;
    }

    public synchronized CardSession get(String name) throws RunnerException {
        CardSession session = cards.get(name);
        if (session == null) {
            throw new RunnerException("no card named " + name + "; create it with 'card " + name + "'");
        }
        return session;
    }

    public synchronized List<String> names() {
        return new ArrayList<>(cards.keySet());
    }

    /** Connects card {@code name} to a vpcd driver; fails at once, with advice, when nothing listens. */
    public void connectVpcd(String name, String host, int port) throws RunnerException {
        CardSession session = get(name);
        synchronized (this) {
            VpcdClient existing = vpcdClients.get(name);
            if (existing != null) {
                throw new RunnerException("card " + name + " is already connected to vpcd at " + existing.address());
            }
        }
        VpcdClient client = new VpcdClient(session, host, port);
        try {
            client.connectFirst();
        } catch (IOException e) {
            throw new RunnerException("nothing accepts a vpcd connection on " + host + ":" + port
                    + " (" + e.getMessage() + "): install the Debian packages pcscd and vsmartcard-vpcd and start pcscd"
                    + " (for example 'pcscd --foreground')", e);
        }
        synchronized (this) {
            vpcdClients.put(name, client);
        }
        client.start();
    }
}
