package ekrona.sim.jcardsim;

import com.licel.jcardsim.base.SimulatorRuntime;

/**
 * jCardSim's runtime with the one operation the runner protocol needs that jCardSim does not offer publicly:
 * deselecting the selected applet before an install (as selecting a card manager would). Everything else is
 * jCardSim's own behaviour, unchanged.
 */
final class BridgeRuntime extends SimulatorRuntime {
    /**
     * Deselects the selected applet, if any, the way jCardSim deselects on a SELECT of another applet: its
     * {@code deselect()} runs, an open transaction is closed, CLEAR_ON_DESELECT memory is cleared.
     */
    void deselectCurrent() {
        if (currentAID == null) {
            return;
        }
        deselect(lookupApplet(currentAID));
        currentAID = null;
    }
}
