package dev.kurz.redirect;

import com.github.benmanes.caffeine.cache.AsyncCacheLoader;
import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.kurz.click.ClickRecorder;
import dev.kurz.config.Settings;
import dev.kurz.link.Link;
import dev.kurz.link.LinkChangeListener;
import dev.kurz.link.LinkStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

/**
 * The in-process (L1) cache of the redirect path: code to {@link CachedLink}, including negative
 * entries for unknown codes, in front of the optional shared {@link L2Cache} and the database.
 *
 * <p>Design: a Caffeine async loading cache. A hit is a completed future, answered on the event
 * loop with no I/O. Concurrent misses on one code share one load (one L2 lookup, then at most
 * one database read on a virtual thread), never a stampede. Size is bounded and Caffeine's
 * W-TinyLFU admission keeps a scan of random codes from pushing out the hot links. Unknown codes
 * are remembered for {@code KURZ_CACHE_NEGATIVE_TTL}.
 *
 * <p>Freshness: a link is re-read {@code KURZ_CACHE_L1_TTL} after it was loaded, in the background
 * on the next request (which still gets the cached answer). Writers call {@link #changed} after
 * they commit, which drops the entry here (and an in-flight load of it) and, through L2, on every
 * node. Links with a click limit skip L2, since their running count must come from the database.
 *
 * <p>Replicas: loads read the replica, except for codes changed in the last {@link #READ_PRIMARY_AFTER_CHANGE}
 * (here or, via pub/sub, elsewhere), which read the primary: a lagging replica would otherwise hand
 * back the row the invalidation was meant to drop. Links with a click limit always take their
 * count from the primary, together with this node's unflushed clicks, and are re-read every two
 * flush intervals, so other nodes' clicks count against the limit within that time.
 *
 * <p>Failure: if the database is down, a cached link keeps being served (a re-read that fails
 * renews the old entry: stale-if-error; writes can't commit meanwhile, so it is the latest
 * committed state unless an invalidation was lost), while a code that isn't cached answers 503.
 * Entries nobody asked for during {@link #MAX_IDLE} are dropped.
 */
public final class LinkCache implements LinkChangeListener, MeterBinder {

    static final Duration MAX_IDLE = Duration.ofHours(1);
    static final Duration READ_PRIMARY_AFTER_CHANGE = Duration.ofSeconds(30);

    private final AsyncLoadingCache<String, CachedLink> cache;
    private final LinkStore store;
    private final ClickRecorder clicks;
    private final L2Cache l2;
    private final Cache<String, Boolean> recentlyChanged = Caffeine.newBuilder()
            .expireAfterWrite(READ_PRIMARY_AFTER_CHANGE)
            .maximumSize(100_000)
            .build();
    // Redirect-path lookups, for /metrics. LongAdders: uncontended increments on the event loops.
    private final LongAdder l1Hits = new LongAdder();
    private final LongAdder l1Misses = new LongAdder();
    private final LongAdder negativeHits = new LongAdder();

    public LinkCache(LinkStore store, ClickRecorder clicks, L2Cache l2, Executor loader, Settings settings) {
        this.store = store;
        this.clicks = clicks;
        this.l2 = l2;
        long positiveNanos = Math.max(settings.cacheL1Ttl().toNanos(), MAX_IDLE.toNanos());
        long negativeNanos = settings.cacheNegativeTtl().toNanos();
        long limitedNanos = 2 * settings.clickFlushInterval().toNanos();
        this.cache = Caffeine.newBuilder()
                .maximumSize(settings.cacheL1Size())
                .executor(loader)
                .refreshAfterWrite(settings.cacheL1Ttl())
                .expireAfter(new Expiry<String, CachedLink>() {
                    @Override
                    public long expireAfterCreate(String code, CachedLink value, long now) {
                        return value == CachedLink.MISSING ? negativeNanos
                                : value.hasClickLimit() ? limitedNanos : positiveNanos;
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
                .buildAsync(new AsyncCacheLoader<String, CachedLink>() {
                    @Override
                    public CompletableFuture<CachedLink> asyncLoad(String code, Executor executor) {
                        return load(code, executor);
                    }

                    @Override
                    public CompletableFuture<CachedLink> asyncReload(String code, CachedLink old, Executor executor) {
                        // On failure a new entry with the same content: the same instance would
                        // not reset the entry's timers, and every request would retry at once.
                        return load(code, executor).thenApply(fresh -> fresh.continuing(old))
                                .exceptionally(failure -> old.renewed());
                    }
                });
    }

    private CompletableFuture<CachedLink> load(String code, Executor executor) {
        return l2.get(code).thenCompose(hit -> hit.isPresent() && hit.get().maxClicks() == null
                ? CompletableFuture.completedFuture(new CachedLink(hit.get()))
                : CompletableFuture.supplyAsync(() -> fromStore(code), executor));
    }

    private CachedLink fromStore(String code) {
        boolean changedRecently = recentlyChanged.getIfPresent(code) != null;
        Link link = (changedRecently ? store.findByCodeOnPrimary(code) : store.findByCode(code)).orElse(null);
        if (link != null && link.maxClicks() != null) {
            // The budget needs the exact count: the primary's total plus our unflushed clicks,
            // read as one snapshot against the flusher.
            link = clicks.withUnflushed(() -> store.findByCodeOnPrimary(code).stream().toList())
                    .stream().findFirst().orElse(null);
        }
        if (link == null) {
            return CachedLink.MISSING;
        }
        if (link.maxClicks() == null) {
            l2.put(link);
        }
        return new CachedLink(link);
    }

    /**
     * The entry for {@code code} if this node holds or is loading it; null otherwise. Never loads.
     * Counted as the redirect path's L1 hit or miss (a held "unknown code" is a negative hit too).
     */
    CompletableFuture<CachedLink> peek(String code) {
        CompletableFuture<CachedLink> entry = cache.getIfPresent(code);
        if (entry == null) {
            l1Misses.increment();
        } else {
            l1Hits.increment();
            if (entry.isDone() && !entry.isCompletedExceptionally() && entry.join() == CachedLink.MISSING) {
                negativeHits.increment();
            }
        }
        return entry;
    }

    /** The entry for {@code code}: already complete on a hit, loading on a miss. */
    CompletableFuture<CachedLink> lookup(String code) {
        return cache.get(code);
    }

    @Override
    public void created(String code) {
        evict(code);
        l2.announce(code);
    }

    /**
     * After a committed write here: tombstone L2 and tell the other nodes first, then evict
     * locally, so our own next load can't pick the old entry up from L2 again.
     */
    @Override
    public void changed(String code) {
        recentlyChanged.put(code, Boolean.TRUE);
        l2.invalidate(code);
        evict(code);
    }

    /** Drops {@code code} from this node's L1 only (another node announced a change). */
    public void evict(String code) {
        recentlyChanged.put(code, Boolean.TRUE);
        cache.synchronous().invalidate(code);
    }

    /**
     * {@code kurz_cache_requests_total{level, result}}: L1 as the redirect path sees it, L2 (when
     * Redis is configured) for the L1 misses that asked it; {@code kurz_cache_negative_hits_total}:
     * L1 hits on a remembered unknown code; {@code kurz_cache_entries}: L1 size.
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        String name = "kurz.cache.requests";
        String help = "Link cache lookups of the redirect path by level and result";
        FunctionCounter.builder(name, l1Hits, LongAdder::sum).description(help)
                .tags("level", "l1", "result", "hit").register(registry);
        FunctionCounter.builder(name, l1Misses, LongAdder::sum).description(help)
                .tags("level", "l1", "result", "miss").register(registry);
        if (l2 != L2Cache.NONE) {
            FunctionCounter.builder(name, l2, L2Cache::hits).description(help)
                    .tags("level", "l2", "result", "hit").register(registry);
            FunctionCounter.builder(name, l2, L2Cache::misses).description(help)
                    .tags("level", "l2", "result", "miss").register(registry);
        }
        FunctionCounter.builder("kurz.cache.negative.hits", negativeHits, LongAdder::sum)
                .description("L1 hits on codes remembered as unknown (answered 404 without a lookup)")
                .register(registry);
        Gauge.builder("kurz.cache.entries", this, LinkCache::size)
                .description("Links and unknown codes held in the L1 cache").register(registry);
    }

    /** Hits in the shared L2 cache so far. */
    public long l2Hits() {
        return l2.hits();
    }

    /** Performs pending maintenance (evictions) now. */
    public void cleanUp() {
        cache.synchronous().cleanUp();
    }

    /** Entries currently held (approximate); for tests and metrics. */
    public long size() {
        return cache.synchronous().estimatedSize();
    }
}
