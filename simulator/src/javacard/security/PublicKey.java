package javacard.security;

/** The public half of a key pair. */
public interface PublicKey extends Key {
}
