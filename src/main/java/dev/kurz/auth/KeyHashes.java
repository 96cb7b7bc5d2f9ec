package dev.kurz.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * How API keys are stored and checked: only the SHA-256 of a key is kept, and a presented key is
 * checked by comparing hashes in constant time ({@link MessageDigest#isEqual}), so the time an
 * answer takes says nothing about how much of a guess was right.
 *
 * <p>A fast hash is right here (unlike for link passwords): keys are 256 random bits, so there is
 * no dictionary to try and a stolen hash is as hard to reverse as guessing the key.
 */
final class KeyHashes {

    private KeyHashes() {}

    static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }

    static String hex(byte[] hash) {
        return HexFormat.of().formatHex(hash);
    }

    /** Whether {@code presentedKey} hashes to {@code storedHex}, in time independent of where they differ. */
    static boolean matches(String storedHex, String presentedKey) {
        byte[] stored;
        try {
            stored = HexFormat.of().parseHex(storedHex);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(stored, sha256(presentedKey));
    }
}
