package dev.kurz.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.text.Normalizer;
import java.util.Base64;
import java.util.concurrent.Semaphore;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Hashes link passwords with Argon2id (RFC 9106), using OWASP's recommended minimum cost
 * (19 MiB of memory, 2 passes, 1 lane), and stores them as PHC strings
 * ({@code $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>}), so the cost can be raised later without
 * breaking existing hashes: {@link #verify} reads the parameters from the stored string.
 *
 * <p>Passwords are NFC-normalised first, so the same characters typed on different systems match.
 *
 * <p>Each hash takes tens of milliseconds of CPU and 19 MiB of memory by design. At most
 * {@code concurrency} run at once (others wait), so a burst of attempts can't exhaust the heap;
 * callers rate-limit attempts before getting here.
 *
 * <p>Thread-safe. Blocks (by design, and while waiting for a slot): call from a virtual thread,
 * never an event loop.
 */
public final class PasswordHasher {

    private static final int MEMORY_KIB = 19_456;
    private static final int ITERATIONS = 2;
    private static final int PARALLELISM = 1;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d{1,7}),t=(\\d{1,2}),p=(\\d{1,2})\\$([A-Za-z0-9+/]{16,})\\$([A-Za-z0-9+/]{16,})");
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    private final SecureRandom random = new SecureRandom();
    private final Semaphore slots;

    public PasswordHasher(int concurrency) {
        this.slots = new Semaphore(concurrency, true);
    }

    /** A new salted hash of {@code password} in PHC format. */
    public String hash(String password) {
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        byte[] hash = argon2(password, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, HASH_BYTES);
        return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM + "$"
                + B64.encodeToString(salt) + "$" + B64.encodeToString(hash);
    }

    /** Whether {@code password} matches {@code stored}; false for a stored value kurz didn't write. */
    public boolean verify(String stored, String password) {
        Matcher m = stored == null ? null : PHC.matcher(stored);
        if (m == null || !m.matches()) {
            return false;
        }
        int memory = Integer.parseInt(m.group(1));
        int iterations = Integer.parseInt(m.group(2));
        int parallelism = Integer.parseInt(m.group(3));
        if (memory < 8 * parallelism || memory > 1 << 20 || iterations < 1 || parallelism < 1) {
            return false;
        }
        byte[] expected;
        byte[] salt;
        try {
            salt = B64D.decode(m.group(4));
            expected = B64D.decode(m.group(5));
        } catch (IllegalArgumentException e) {
            return false;
        }
        byte[] actual = argon2(password, salt, memory, iterations, parallelism, expected.length);
        return MessageDigest.isEqual(expected, actual);
    }

    private byte[] argon2(String password, byte[] salt, int memoryKib, int iterations, int parallelism, int length) {
        var params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memoryKib)
                .withIterations(iterations)
                .withParallelism(parallelism)
                .withSalt(salt)
                .build();
        byte[] input = Normalizer.normalize(password, Normalizer.Form.NFC).getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[length];
        slots.acquireUninterruptibly();
        try {
            var generator = new Argon2BytesGenerator();
            generator.init(params);
            generator.generateBytes(input, out);
            return out;
        } finally {
            slots.release();
            java.util.Arrays.fill(input, (byte) 0);
        }
    }
}
