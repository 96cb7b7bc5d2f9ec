package dev.kurz.redirect;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kurz.http.Json;
import dev.kurz.link.Link;
import dev.kurz.redis.Redis;
import io.lettuce.core.SetArgs;
import java.time.Duration;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The L2 cache in Redis, and the cross-node invalidation protocol.
 *
 * <p>Protocol for a committed write of {@code code} (called by the writing node):
 * <ol>
 *   <li>{@code SET <prefix>l:<code> <tombstone> PX 2000} replaces the entry with a short-lived
 *       tombstone;</li>
 *   <li>{@code PUBLISH <prefix>changed <code>}: every node evicts the code from its L1.</li>
 * </ol>
 * Nodes fill L2 only with {@code SET ... NX}, so a node that read the old row just before the
 * commit cannot put it back while the tombstone lives. Readers treat a tombstone as a miss.
 *
 * <p>A new code needs no tombstone (L2 can't hold it yet), only the message, so other nodes drop a
 * negative entry they may hold for it. Those messages are gathered for {@value #ANNOUNCE_MILLIS} ms
 * and sent as one, the codes separated by spaces (no code has one): a PUBLISH per create cost
 * kurz and Redis about a sixth of a create's CPU (docs/BENCHMARKS.md), and a bulk create of 1,000
 * codes sent 1,000 of them.
 *
 * <p>Failure modes: a lost pub/sub message leaves another node's L1 stale until
 * {@code KURZ_CACHE_L1_TTL}. A database read that takes longer than the tombstone (2 s) can
 * re-insert an old row for up to {@code KURZ_CACHE_L2_TTL}. An invalidation that fails (Redis down
 * or slow) is kept (up to 100,000 codes), retried every second until it lands, and meanwhile this
 * node treats the code as an L2 miss, so it never reloads the old entry from L2 itself; other
 * nodes' L1s are bounded by their TTL meanwhile.
 */
public final class RedisL2Cache implements L2Cache {

    private static final Logger log = LoggerFactory.getLogger(RedisL2Cache.class);
    private static final String TOMBSTONE = "-";
    private static final long TOMBSTONE_MILLIS = 2_000;
    private static final int MAX_PENDING = 100_000;
    private static final long ANNOUNCE_MILLIS = 5;
    private static final int MAX_CODES_PER_MESSAGE = 1_000;

    private final Redis redis;
    private final String keyPrefix;
    private final String channel;
    private final long ttlSeconds;
    private final long timeoutMillis;
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private volatile boolean overflowLogged;
    private final Queue<String> announced = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean announceScheduled = new AtomicBoolean();

    public RedisL2Cache(Redis redis, String prefix, Duration ttl, Duration timeout) {
        this.redis = redis;
        this.keyPrefix = prefix + "l:";
        this.channel = prefix + "changed";
        this.ttlSeconds = Math.max(1, ttl.toSeconds());
        this.timeoutMillis = timeout.toMillis();
        redis.everySecond(this::replayPending);
    }

    /** Evicts every code another node announces as changed or created. */
    public void subscribe(Consumer<String> evict) {
        redis.subscribe(channel, message -> {
            for (String code : message.split(" ")) {
                evict.accept(code);
            }
        });
    }

    @Override
    public CompletableFuture<Optional<Link>> get(String code) {
        if (!pending.isEmpty() && pending.contains(code)) {
            misses.incrementAndGet();
            return CompletableFuture.completedFuture(Optional.empty()); // L2 may still hold the old row
        }
        return redis.call(c -> c.strings().get(keyPrefix + code)).handle((value, failure) -> {
            if (failure != null || value == null || value.equals(TOMBSTONE)) {
                misses.incrementAndGet();
                return Optional.empty();
            }
            try {
                Link link = Json.MAPPER.readValue(value, Link.class);
                hits.incrementAndGet();
                return Optional.of(link);
            } catch (JsonProcessingException e) {
                misses.incrementAndGet();
                return Optional.empty(); // an entry from another version of kurz: ignore it
            }
        });
    }

    @Override
    public void put(Link link) {
        try {
            String value = Json.MAPPER.writeValueAsString(link);
            redis.call(c -> c.strings().set(keyPrefix + link.code(), value, SetArgs.Builder.nx().ex(ttlSeconds)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void invalidate(String code) {
        // Both at once (Lettuce pipelines them): the other nodes must hear of the change even if
        // the tombstone could not be written.
        var tombstone = redis.call(c -> c.strings().set(keyPrefix + code, TOMBSTONE, SetArgs.Builder.px(TOMBSTONE_MILLIS)));
        var publish = redis.call(c -> c.base().publish(channel, code));
        try {
            CompletableFuture.allOf(tombstone, publish).get(timeoutMillis + 50, TimeUnit.MILLISECONDS);
            pending.remove(code);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            remember(code);
        }
    }

    @Override
    public void announce(String code) {
        // Sent a few ms later with the codes created meanwhile, and never awaited: waiting would
        // hold the create's thread and promise nothing more, since the other nodes hear of it when
        // they read the channel anyway. Lost, it leaves only a negative L1 entry elsewhere stale,
        // for KURZ_CACHE_NEGATIVE_TTL at most.
        announced.add(code);
        if (announceScheduled.compareAndSet(false, true)) {
            redis.after(ANNOUNCE_MILLIS, this::publishAnnounced);
        }
    }

    private void publishAnnounced() {
        announceScheduled.set(false); // first: a code queued from now on schedules the next message
        var message = new StringJoiner(" ");
        int codes = 0;
        for (String code; (code = announced.poll()) != null; ) {
            message.add(code);
            if (++codes == MAX_CODES_PER_MESSAGE) {
                publish(message.toString());
                message = new StringJoiner(" ");
                codes = 0;
            }
        }
        if (codes > 0) {
            publish(message.toString());
        }
    }

    private void publish(String message) {
        redis.call(c -> c.base().publish(channel, message));
    }

    @Override
    public long hits() {
        return hits.get();
    }

    @Override
    public long misses() {
        return misses.get();
    }

    private void remember(String code) {
        if (pending.size() < MAX_PENDING) {
            pending.add(code);
        } else if (!overflowLogged) {
            overflowLogged = true;
            log.warn("more than {} links changed while Redis was unavailable; the rest rely on KURZ_CACHE_L2_TTL",
                    MAX_PENDING);
        }
    }

    /** Retries failed invalidations (every second, while any are pending and Redis is usable). */
    private void replayPending() {
        if (pending.isEmpty() || !redis.isAvailable()) {
            return;
        }
        int before = pending.size();
        for (String code : Set.copyOf(pending)) {
            invalidate(code); // removes it from pending when it lands
        }
        if (pending.isEmpty()) {
            overflowLogged = false;
            log.info("replayed {} cache invalidations that had failed while Redis was unavailable", before);
        }
    }
}
