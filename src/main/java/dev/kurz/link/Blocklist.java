package dev.kurz.link;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Domains links may not point to, from {@code KURZ_BLOCKLIST_FILE}: one domain per line, {@code #}
 * comments, subdomains included ({@code example.com} blocks {@code a.example.com}).
 *
 * <p>The file is re-read when its modification time changes, checked at most every two seconds,
 * so operators edit it in place without a restart. A file that becomes unreadable keeps the last
 * good list (logged once) rather than silently allowing everything.
 *
 * <p>Thread-safe.
 */
final class Blocklist {

    private static final Logger log = LoggerFactory.getLogger(Blocklist.class);
    private static final long CHECK_EVERY_MILLIS = 2_000;

    private final Optional<Path> file;
    private final Clock clock;
    private volatile Set<String> domains = Set.of();
    private volatile FileTime loadedVersion;
    private volatile long nextCheck;

    Blocklist(Optional<Path> file, Clock clock) {
        this.file = file;
        this.clock = clock;
        file.ifPresent(f -> {
            if (!Files.isReadable(f)) {
                throw new UncheckedIOException(new IOException("KURZ_BLOCKLIST_FILE " + f + " is not readable"));
            }
            reload(f);
        });
    }

    /** Whether {@code asciiHost} (lower-case, punycode) or one of its parent domains is listed. */
    boolean blocks(String asciiHost) {
        if (file.isEmpty()) {
            return false;
        }
        refreshIfChanged(file.get());
        Set<String> current = domains;
        String host = asciiHost.endsWith(".") ? asciiHost.substring(0, asciiHost.length() - 1) : asciiHost;
        while (true) {
            if (current.contains(host)) {
                return true;
            }
            int dot = host.indexOf('.');
            if (dot < 0) {
                return false;
            }
            host = host.substring(dot + 1);
        }
    }

    private void refreshIfChanged(Path f) {
        long now = clock.millis();
        if (now < nextCheck) {
            return;
        }
        nextCheck = now + CHECK_EVERY_MILLIS;
        try {
            if (!Files.getLastModifiedTime(f).equals(loadedVersion)) {
                reload(f);
            }
        } catch (IOException | UncheckedIOException e) {
            log.warn("blocklist {} unreadable, keeping the previous {} domains: {}", f, domains.size(), e.getMessage());
        }
    }

    private synchronized void reload(Path f) {
        try {
            FileTime version = Files.getLastModifiedTime(f);
            var next = new HashSet<String>();
            for (String line : Files.readAllLines(f)) {
                String entry = line.strip();
                int hash = entry.indexOf('#');
                if (hash >= 0) {
                    entry = entry.substring(0, hash).strip();
                }
                if (!entry.isEmpty()) {
                    next.add(UrlPolicy.asciiHost(entry).orElse(entry.toLowerCase(Locale.ROOT)));
                }
            }
            domains = Set.copyOf(next);
            loadedVersion = version;
            log.info("blocklist {} loaded with {} domains", f, next.size());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read KURZ_BLOCKLIST_FILE " + f, e);
        }
    }
}
