package javacard.security;

/** A key of any kind. */
public interface Key {
    boolean isInitialized();

    void clearKey();

    byte getType();

    short getSize();
}
