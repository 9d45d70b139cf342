package javacard.security;

/** The private half of a key pair. */
public interface PrivateKey extends Key {
}
