package dev.kurz.jobs;

import dev.kurz.App;
import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import dev.kurz.link.UrlPolicy;
import dev.kurz.support.MutableClock;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * The worker role without HTTP, as {@code kurz worker} wires it, on a real database: jobs are put
 * in the way an upload would, and workers run them on the test's thread (or their own).
 */
final class JobsFixture implements AutoCloseable {

    final Settings settings;
    final Database db;
    final MutableClock clock = new MutableClock();
    final JobStore store;

    JobsFixture(Map<String, String> env) {
        var vars = new HashMap<String, String>();
        vars.put("KURZ_BASE_URL", "http://kurz.test");
        vars.put("KURZ_LOG_LEVEL", "WARN");
        vars.putAll(env);
        this.settings = Settings.from(vars);
        this.db = Database.open(settings);
        this.store = new JobStore(db, clock);
    }

    Worker worker(String id) {
        return worker(id, checkpoint -> {});
    }

    Worker worker(String id, LongConsumer afterBatch) {
        return new Worker(id, store, settings, UrlPolicy.from(settings, clock), App.minter(settings, db), afterBatch);
    }

    /** Stores {@code file} as a queued import job of {@code format}, as an upload would. */
    long enqueue(ImportFormat format, byte[] file) {
        long id = store.createImport(1, 0, format);
        int seq = 0;
        for (int from = 0; from < file.length; from += JobStore.CHUNK) {
            store.appendInput(id, seq++, java.util.Arrays.copyOfRange(file, from, Math.min(file.length, from + JobStore.CHUNK)));
        }
        store.finishUpload(id, file.length);
        return id;
    }

    Job job(long id) {
        return store.find(id).orElseThrow();
    }

    long count(String sql, Object... params) {
        try (var c = db.writer().getConnection(); var ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    String string(String sql, Object... params) {
        try (var c = db.writer().getConnection(); var ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (var rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    void execute(String sql) {
        try (var c = db.writer().getConnection(); var st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        db.close();
    }
}
