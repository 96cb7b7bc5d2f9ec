package dev.kurz.redirect;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.CacheLoader;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.LoadingCache;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The in-process (L1) cache of the redirect path: code to {@link CachedLink}, including negative
 * entries for unknown codes, in front of the optional shared {@link L2Cache} and the database.
 *
 * <p>Design: a Caffeine cache of loaded entries, and beside it the first loads in flight. A hit is
 * one lookup, answered on the event loop with no I/O and no allocation. Concurrent misses on one
 * code share one load (one L2 lookup, then at most one database read on a virtual thread), never
 * a stampede. Size is bounded and Caffeine's
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
 * flush intervals, so other nodes' clicks count against the limit within that time of their fold
 * ({@code KURZ_CLICK_FOLD_MS}). A re-read raises the link's one running count on this node
 * ({@link #clickCounts}) instead of starting another, so no click taken here is lost to it. The
 * count never falls while this node holds it (for a busy link, as long as the link stays busy):
 * if a read was high (a stalled node's batches, see ClickFlusher, or a fold whose commit answer
 * was lost, until the next fold), this node refuses that many of the link's last clicks, the
 * safe side of a limit.
 *
 * <p>Failure: if the database is down, a cached link keeps being served (a re-read that fails
 * renews the old entry: stale-if-error; writes can't commit meanwhile, so it is the latest
 * committed state unless an invalidation was lost), while a code that isn't cached answers 503.
 * Entries nobody asked for during {@link #MAX_IDLE} are dropped.
 */
public final class LinkCache implements LinkChangeListener, MeterBinder {

    static final Duration MAX_IDLE = Duration.ofHours(1);
    static final Duration READ_PRIMARY_AFTER_CHANGE = Duration.ofSeconds(30);

    /** Keyed by {@link CodeKeys}. Holds loaded entries only; loads in flight are in {@link #loading}. */
    private final LoadingCache<Object, CachedLink> cache;
    /**
     * First loads in flight, so concurrent misses on one code share one load. Kept beside the
     * cache rather than in it (Caffeine's async cache would keep a future per entry, 24 bytes
     * for each of a million links). An eviction removes the load here inside the cache's own
     * per-key lock, and a finished load is published under the same lock only if it is still
     * here, so a load that raced a change never brings the old link back.
     */
    private final ConcurrentHashMap<Object, CompletableFuture<CachedLink>> loading = new ConcurrentHashMap<>();
    /**
     * Click-limited links' running counts by link id, one per link, shared by every entry that
     * stands for it: a request may take its click on an entry that has just been replaced (it got
     * it a moment before), after the new entry read the database, and that click must count
     * against the new entry too. Held weakly: a count stays while an entry (in the cache or in a
     * request) refers to it; once none does, every click taken on it has been recorded (except
     * clicks the recorder dropped with its buffer full, {@code KURZ_CLICK_MAX_PENDING}: those
     * redirects count nowhere), so a count read from the database anew holds them all.
     */
    private final Cache<Long, AtomicLong> clickCounts = Caffeine.newBuilder().weakValues().build();
    private final LinkStore store;
    private final ClickRecorder clicks;
    private final L2Cache l2;
    private final Executor loader;
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
        this.loader = loader;
        long positiveNanos = Math.max(settings.cacheL1Ttl().toNanos(), MAX_IDLE.toNanos());
        long negativeNanos = settings.cacheNegativeTtl().toNanos();
        long limitedNanos = 2 * settings.clickFlushInterval().toNanos();
        this.cache = Caffeine.newBuilder()
                .maximumSize(settings.cacheL1Size())
                // Caffeine's upkeep (draining its read buffers, evicting) runs on the thread that
                // triggers it: it never blocks, and a hand-off to another thread every few reads
                // cost the event loops more than the work. Loads run on `loader`, see load().
                .executor(Runnable::run)
                .refreshAfterWrite(settings.cacheL1Ttl())
                .expireAfter(new Expiry<Object, CachedLink>() {
                    @Override
                    public long expireAfterCreate(Object key, CachedLink value, long now) {
                        return value == CachedLink.MISSING ? negativeNanos
                                : value.hasClickLimit() ? limitedNanos : positiveNanos;
                    }

                    @Override
                    public long expireAfterUpdate(Object key, CachedLink value, long now, long current) {
                        return expireAfterCreate(key, value, now);
                    }

                    @Override
                    public long expireAfterRead(Object key, CachedLink value, long now, long current) {
                        return current;
                    }
                })
                .build(new CacheLoader<Object, CachedLink>() {
                    @Override
                    public CachedLink load(Object key) { // only for blocking callers; see lookup()
                        return LinkCache.this.load(CodeKeys.code(key)).join();
                    }

                    @Override
                    public CompletableFuture<CachedLink> asyncReload(Object key, CachedLink old, Executor executor) {
                        // On failure a new entry with the same content: the same instance would
                        // not reset the entry's timers, and every request would retry at once.
                        return LinkCache.this.load(CodeKeys.code(key)).exceptionally(failure -> old.renewed());
                    }
                });
    }

    /** L2, then the database on a virtual thread: never on the caller's thread, an event loop. */
    private CompletableFuture<CachedLink> load(String code) {
        return l2.get(code).thenCompose(hit -> hit.isPresent() && hit.get().maxClicks() == null
                ? CompletableFuture.completedFuture(CachedLink.of(hit.get(), null))
                : CompletableFuture.supplyAsync(() -> fromStore(code), loader));
    }

    private CachedLink fromStore(String code) {
        boolean changedRecently = recentlyChanged.getIfPresent(code) != null;
        Link link = (changedRecently ? store.findByCodeOnPrimary(code) : store.findByCode(code)).orElse(null);
        AtomicLong count = null;
        while (link != null && link.maxClicks() != null) {
            // The link's running count first, then the exact total (the primary's plus our
            // unflushed clicks, one snapshot against the flusher). In the other order, a count
            // let go between the two could take with it a click recorded after the read.
            long id = link.id();
            count = clickCounts.get(id, k -> new AtomicLong());
            link = clicks.withUnflushed(() -> store.findByCodeOnPrimary(code).stream().toList())
                    .stream().findFirst().orElse(null);
            if (link == null || link.id() == id) {
                break;
            }
            // The code was deleted and taken by another link meanwhile: the same for that one.
        }
        if (link == null) {
            return CachedLink.MISSING;
        }
        if (link.maxClicks() == null) {
            l2.put(link);
            return CachedLink.of(link, null);
        }
        // Raised, never lowered: clicks taken on it since the read are in it and not in the read.
        count.accumulateAndGet(link.clicks(), Math::max);
        return CachedLink.of(link, count);
    }

    /**
     * The entry for the code {@code key} stands for ({@link CodeKeys}) if this node holds it;
     * null otherwise. Never loads (though it may start a background refresh of a stale entry).
     * Counted as the redirect path's L1 hit or miss (a held "unknown code" is a negative hit too).
     */
    CachedLink peek(Object key) {
        CachedLink entry = cache.getIfPresent(key);
        if (entry == null) {
            l1Misses.increment();
        } else {
            l1Hits.increment();
            if (entry == CachedLink.MISSING) {
                negativeHits.increment();
            }
        }
        return entry;
    }

    /** The entry for the code {@code key} stands for: already complete on a hit, loading on a miss. */
    CompletableFuture<CachedLink> lookup(Object key) {
        CachedLink hit = cache.getIfPresent(key);
        if (hit != null) {
            return CompletableFuture.completedFuture(hit);
        }
        CompletableFuture<CachedLink> pending = loading.get(key);
        if (pending != null) {
            return pending;
        }
        var mine = new CompletableFuture<CachedLink>();
        pending = loading.putIfAbsent(key, mine);
        if (pending != null) {
            return pending;
        }
        load(CodeKeys.code(key)).whenComplete((value, failure) -> {
            if (failure == null) {
                cache.asMap().compute(key, (k, current) -> loading.remove(k, mine) ? value : current);
                mine.complete(value);
            } else {
                loading.remove(key, mine);
                mine.completeExceptionally(failure);
            }
        });
        return mine;
    }

    /** The entry for {@code code}: already complete on a hit, loading on a miss. */
    CompletableFuture<CachedLink> lookup(String code) {
        return lookup(CodeKeys.of(code));
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
        cache.asMap().compute(CodeKeys.of(code), (key, current) -> {
            loading.remove(key); // a load in flight may have read the old row: never publish it
            return null;
        });
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
        cache.cleanUp();
    }

    /** Entries currently held (approximate); for tests and metrics. */
    public long size() {
        return cache.estimatedSize();
    }
}
