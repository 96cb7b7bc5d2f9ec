package dev.kurz.redirect;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.kurz.click.ClickRecorder;
import dev.kurz.config.Settings;
import dev.kurz.link.LinkChangeListener;
import dev.kurz.link.LinkStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The in-process (L1) cache of the redirect path: code to {@link CachedLink}, including negative
 * entries for unknown codes.
 *
 * <p>Design: a Caffeine async loading cache. A hit is a completed future, answered on the event
 * loop with no I/O. Concurrent misses on one code share one load (one database read, not a
 * stampede), which runs on a virtual thread. Positive entries live {@code KURZ_CACHE_L1_TTL},
 * negative ones {@code KURZ_CACHE_NEGATIVE_TTL}; size is bounded and Caffeine's W-TinyLFU admission
 * keeps a scan of random codes from pushing out the hot links.
 *
 * <p>Coherence: writers call {@link #changed} after they commit, which drops the entry (and an
 * in-flight load of it), so this node redirects to the new target on the very next request. The
 * TTL bounds staleness for changes made elsewhere.
 *
 * <p>Failure: if the load fails (database down) the future fails and is not cached; the caller
 * answers 503 and the next request tries again.
 */
public final class LinkCache implements LinkChangeListener {

    private final AsyncLoadingCache<String, CachedLink> cache;

    public LinkCache(LinkStore store, ClickRecorder clicks, Executor loader, Settings settings) {
        long positiveNanos = settings.cacheL1Ttl().toNanos();
        long negativeNanos = settings.cacheNegativeTtl().toNanos();
        this.cache = Caffeine.newBuilder()
                .maximumSize(settings.cacheL1Size())
                .executor(loader)
                .expireAfter(new Expiry<String, CachedLink>() {
                    @Override
                    public long expireAfterCreate(String code, CachedLink value, long now) {
                        return value == CachedLink.MISSING ? negativeNanos : positiveNanos;
                    }

                    @Override
                    public long expireAfterUpdate(String code, CachedLink value, long now, long current) {
                        return expireAfterCreate(code, value, now);
                    }

                    @Override
                    public long expireAfterRead(String code, CachedLink value, long now, long current) {
                        return current;
                    }
                })
                .buildAsync(code -> clicks.withUnflushed(() -> store.findByCode(code).stream().toList())
                        .stream().findFirst().map(CachedLink::new).orElse(CachedLink.MISSING));
    }

    /** The entry for {@code code}: already complete on a hit, loading on a miss. */
    CompletableFuture<CachedLink> lookup(String code) {
        return cache.get(code);
    }

    @Override
    public void changed(String code) {
        cache.synchronous().invalidate(code);
    }

    /** Entries currently held (approximate); for tests and metrics. */
    public long size() {
        return cache.synchronous().estimatedSize();
    }
}
