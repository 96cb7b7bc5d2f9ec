package dev.kurz.click;

import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import dev.kurz.http.Blocking;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;

/**
 * The click feature, wired: the recorder the redirect path counts into, the flusher that writes
 * the counts, and the statistics API that reads them. {@code App} builds it with {@link #wire}
 * and owns its lifecycle.
 */
public final class Clicks implements AutoCloseable, MeterBinder {

    private final Settings settings;
    private final Clock clock;
    private final ClickRecorder recorder;
    private final ClickFlusher flusher;
    private final StatsService stats;

    private Clicks(Settings settings, Clock clock, ClickRecorder recorder, ClickFlusher flusher, StatsService stats) {
        this.settings = settings;
        this.clock = clock;
        this.recorder = recorder;
        this.flusher = flusher;
        this.stats = stats;
    }

    /** Starts counting, journaling every {@code KURZ_CLICK_FLUSH_MS} and folding every {@code KURZ_CLICK_FOLD_MS}. */
    public static Clicks wire(Settings settings, Database db, Clock clock) {
        var store = new SqlClickStore(db);
        var recorder = new ClickRecorder(clock, settings);
        var flusher = ClickFlusher.start(recorder, store, clock, settings.clickFlushInterval(),
                settings.clickFoldInterval());
        var stats = new StatsService(store, recorder, flusher::failedFlushes);
        return new Clicks(settings, clock, recorder, flusher, stats);
    }

    public ClickRecorder recorder() {
        return recorder;
    }

    /**
     * Mounts the statistics API; {@code adminOnly} guards the instance-wide statistics (see
     * {@link StatsRoutes}).
     */
    public void mount(Router router, Blocking blocking, Handler<RoutingContext> mayReadLink,
                      Handler<RoutingContext> adminOnly) {
        new StatsRoutes(stats, blocking, clock, settings.statsMaxRange(), mayReadLink, adminOnly).mount(router);
    }

    /** The flusher's and the recorder's state, for /metrics. */
    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("kurz.click.flush.batches", flusher, ClickFlusher::committedBatches)
                .description("Click batches written to the click journal (one transaction each)").register(registry);
        FunctionCounter.builder("kurz.click.flush.failures", flusher, ClickFlusher::failedFlushes)
                .description("Click flushes and folds that failed (their counts are kept and retried)").register(registry);
        FunctionCounter.builder("kurz.click.folds", flusher, ClickFlusher::folds)
                .description("Folds of the click journal into the roll-ups (a transaction per about 200,000 roll-up rows)").register(registry);
        Gauge.builder("kurz.click.flush.lag", flusher, f -> f.lag().toMillis() / 1000.0)
                .baseUnit("seconds")
                .description("How far durable click counts trail: time since a flush last wrote everything")
                .register(registry);
        Gauge.builder("kurz.click.fold.lag", flusher, f -> f.foldLag().toMillis() / 1000.0)
                .baseUnit("seconds")
                .description("How far click statistics trail: time since this node last folded its journal")
                .register(registry);
        Gauge.builder("kurz.click.pending", recorder, ClickRecorder::pending)
                .description("Click counters in memory waiting to be written").register(registry);
        FunctionCounter.builder("kurz.click.dropped", recorder, ClickRecorder::dropped)
                .description("Clicks dropped because KURZ_CLICK_MAX_PENDING counters were waiting").register(registry);
    }

    /** Writes counted clicks to the database now. */
    public void flushNow() {
        flusher.flushNow();
    }

    /** Stops flushing after writing what is left. */
    @Override
    public void close() {
        flusher.close();
    }

    /** Stops flushing and forgets what is left, as a killed process would (test seam). */
    public void abandon() {
        flusher.abandon();
    }
}
