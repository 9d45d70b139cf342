package javacard.framework;

/** Marks an interface whose objects may be shared with other applets. */
public interface Shareable {
}
