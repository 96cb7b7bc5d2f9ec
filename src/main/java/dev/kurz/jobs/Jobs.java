package dev.kurz.jobs;

import dev.kurz.auth.Authenticator;
import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import dev.kurz.http.Blocking;
import dev.kurz.link.CodeMinter;
import dev.kurz.link.UrlPolicy;
import io.vertx.ext.web.Router;
import java.time.Clock;

/**
 * The worker role, wired: the job store, the export, and (when {@code KURZ_SERVE_WORKER} is true
 * for a node, or always for {@code kurz worker}) a running {@link Worker}. {@code App} builds it
 * with {@link #wire} and owns its lifecycle.
 */
public final class Jobs implements AutoCloseable {

    private final Settings settings;
    private final JobStore store;
    private final LinkExport export;
    private final Worker worker;

    private Jobs(Settings settings, JobStore store, LinkExport export, Worker worker) {
        this.settings = settings;
        this.store = store;
        this.export = export;
        this.worker = worker;
    }

    /** Wires the feature; starts a worker if {@code runWorker}. */
    public static Jobs wire(Settings settings, Database db, Clock clock, UrlPolicy urls, CodeMinter minter,
                            boolean runWorker) {
        var store = new JobStore(db, clock);
        Worker worker = runWorker ? Worker.create(store, settings, urls, minter).start(settings.workerThreads()) : null;
        return new Jobs(settings, store, new LinkExport(db), worker);
    }

    /** Mounts the imports, jobs and export API; call before the link API's routes. */
    public void mount(Router router, Authenticator auth, Blocking blocking) {
        new JobRoutes(store, export, auth, blocking, settings.importMaxBytes()).mount(router);
    }

    public JobStore store() {
        return store;
    }

    /** Stops the worker gracefully (running imports are handed back), if one runs here. */
    @Override
    public void close() {
        if (worker != null) {
            worker.close();
        }
    }

    /** Stops the worker as a killed process would (test seam). */
    public void crash() {
        if (worker != null) {
            worker.crash();
        }
    }
}
