package dev.kurz.jobs;

import dev.kurz.auth.Authenticator;
import dev.kurz.auth.Caller;
import dev.kurz.http.Blocking;
import dev.kurz.http.Json;
import dev.kurz.http.Problem;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker role's API: {@code POST /api/v1/imports?format=...} (202 and the job's location),
 * {@code GET /api/v1/jobs/{id}}, {@code GET /api/v1/jobs}, and
 * {@code GET /api/v1/links/export?format=csv|jsonl}. Every route needs an API key; users see their
 * own jobs and export their own links, admins all.
 *
 * <p>Uploads are streamed into the database in 1 MiB chunks while they arrive (the request is
 * paused while a chunk is written, so a fast client can't fill memory); past
 * {@code KURZ_IMPORT_MAX_BYTES} the upload is refused with 413 and what was stored is dropped.
 * Exports stream one page of links at a time and wait for each page to be written to the
 * connection before reading the next (backpressure).
 */
public final class JobRoutes {

    private static final Logger log = LoggerFactory.getLogger(JobRoutes.class);
    static final int SHOWN_ERRORS = 100;

    private final JobStore store;
    private final LinkExport export;
    private final Authenticator auth;
    private final Blocking blocking;
    private final long maxUploadBytes;

    public JobRoutes(JobStore store, LinkExport export, Authenticator auth, Blocking blocking, long maxUploadBytes) {
        this.store = store;
        this.export = export;
        this.auth = auth;
        this.blocking = blocking;
        this.maxUploadBytes = maxUploadBytes;
    }

    /** Mount before the link API: {@code /api/v1/links/export} would otherwise read as a code. */
    public void mount(Router router) {
        router.post("/api/v1/imports").handler(this::upload);
        router.get("/api/v1/jobs").handler(this::list);
        router.get("/api/v1/jobs/:id").handler(this::get);
        router.get("/api/v1/links/export").handler(this::export);
    }

    /** A job as the API shows it. */
    record JobView(long id, String kind, String state, String format, String createdAt, String startedAt,
                   String finishedAt, Progress progress, long imported, long existing, long failed,
                   List<RowError> errors, boolean errorsTruncated, String error, int attempts) {}

    /** How far a job got: records done, and input bytes done of the total (percent is of bytes). */
    record Progress(long records, long bytesDone, long bytesTotal, int percent) {}

    static JobView view(Job j, List<RowError> errors) {
        int percent = j.state().equals("done") ? 100
                : j.inputBytes() == 0 ? 0 : (int) Math.min(99, j.bytesDone() * 100 / j.inputBytes());
        return new JobView(j.id(), j.kind(), j.state(), j.format(), iso(j.createdAt()), iso(j.startedAt()),
                iso(j.finishedAt()), new Progress(j.checkpoint(), j.bytesDone(), j.inputBytes(), percent),
                j.imported(), j.existing(), j.failed(), errors, j.failed() > errors.size(), j.error(), j.attempts());
    }

    private static String iso(Long millis) {
        return millis == null ? null : Instant.ofEpochMilli(millis).toString();
    }

    private void get(RoutingContext ctx) {
        long id = id(ctx.pathParam("id"));
        List<String> authorization = authorization(ctx);
        respond(ctx, blocking.call(() -> {
            Caller caller = keyed(authorization, "reading a job");
            Job job = store.find(id).orElseThrow(() -> Problem.notFound("no job with id " + id));
            if (!caller.manages(job.ownerKeyId())) {
                throw Problem.forbidden("job " + id + " belongs to another API key");
            }
            return view(job, store.errors(id, SHOWN_ERRORS));
        }), view -> Json.send(ctx.response(), 200, view));
    }

    private void list(RoutingContext ctx) {
        List<String> authorization = authorization(ctx);
        respond(ctx, blocking.call(() -> {
            Caller caller = keyed(authorization, "listing jobs");
            return store.list(caller.isAdmin() ? null : caller.keyId(), 50).stream()
                    .map(j -> view(j, List.of())).toList();
        }), jobs -> Json.send(ctx.response(), 200, new JobList(jobs)));
    }

    record JobList(List<JobView> items) {}

    private void upload(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        request.pause(); // nothing is read until the caller is known
        List<String> authorization = authorization(ctx);
        List<String> formats = ctx.queryParam("format");
        String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        blocking.call(() -> {
            Caller caller = keyed(authorization, "importing links");
            ImportFormat format = ImportFormat.parse(formats.isEmpty() ? null : formats.getFirst());
            if (declared != null && declared.matches("[0-9]{1,19}") && Long.parseLong(declared) > maxUploadBytes) {
                throw tooLarge();
            }
            return store.createImport(caller.keyId(), caller.keyId(), format);
        }).onComplete(ar -> {
            if (ar.succeeded()) {
                new Upload(ctx, ar.result()).start();
            } else {
                // The body was never read: don't leave it on a kept-alive connection.
                ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
                ctx.fail(ar.cause());
            }
        });
    }

    private Problem tooLarge() {
        return Problem.tooLarge("the upload is larger than " + maxUploadBytes + " bytes (KURZ_IMPORT_MAX_BYTES); "
                + "split the file, or have the operator run `kurz import` on it");
    }

    /** One upload in progress: chunks go to the database one at a time, the request paused meanwhile. */
    private final class Upload {
        private final RoutingContext ctx;
        private final HttpServerRequest request;
        private final long jobId;
        private final Context context = Vertx.currentContext();
        private Buffer pending = Buffer.buffer();
        private long total;
        private int seq;
        private boolean failed;

        Upload(RoutingContext ctx, long jobId) {
            this.ctx = ctx;
            this.request = ctx.request();
            this.jobId = jobId;
        }

        void start() {
            request.handler(this::data);
            request.endHandler(v -> flush(true));
            request.exceptionHandler(e -> fail(Problem.ofStatus(400)));
            if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
                ctx.response().writeContinue();
            }
            request.resume();
        }

        private void data(Buffer chunk) {
            if (failed) {
                return;
            }
            total += chunk.length();
            if (total > maxUploadBytes) {
                fail(tooLarge());
                return;
            }
            pending.appendBuffer(chunk);
            if (pending.length() >= JobStore.CHUNK) {
                flush(false);
            }
        }

        private void flush(boolean last) {
            if (failed) {
                return;
            }
            request.pause();
            byte[] bytes = pending.getBytes();
            pending = Buffer.buffer();
            int n = seq++;
            long size = total;
            blocking.call(() -> {
                if (bytes.length > 0) {
                    store.appendInput(jobId, n, bytes);
                }
                if (last) {
                    store.finishUpload(jobId, size);
                }
                return null;
            }).onComplete(ar -> {
                if (ar.failed()) {
                    fail(ar.cause());
                } else if (last) {
                    ctx.response().putHeader(HttpHeaders.LOCATION, "/api/v1/jobs/" + jobId);
                    respond(ctx, blocking.call(() -> view(store.find(jobId).orElseThrow(), List.of())),
                            view -> Json.send(ctx.response(), 202, view));
                } else {
                    request.resume();
                }
            });
        }

        private void fail(Throwable cause) {
            if (failed) {
                return;
            }
            failed = true;
            request.handler(null);
            blocking.call(() -> {
                store.discard(jobId);
                return null;
            }).onComplete(ar -> {
                if (ar.failed()) {
                    log.warn("import job {}: could not drop the refused upload: {}", jobId, ar.cause().getMessage());
                }
            });
            // Stop reading: the rest of a refused body is not worth receiving.
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
            context.runOnContext(v -> ctx.fail(cause));
        }
    }

    private void export(RoutingContext ctx) {
        List<String> authorization = authorization(ctx);
        List<String> formats = ctx.queryParam("format");
        HttpServerResponse response = ctx.response();
        Context context = Vertx.currentContext();
        respond(ctx, blocking.call(() -> {
            Caller caller = keyed(authorization, "exporting links");
            return new ExportStart(caller, LinkExport.Format.parse(formats.isEmpty() ? null : formats.getFirst()));
        }), start -> {
            response.setChunked(true)
                    .putHeader(HttpHeaders.CONTENT_TYPE, start.format().contentType)
                    .putHeader("Content-Disposition", "attachment; filename=\"kurz-links." + start.format().extension + "\"")
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
            blocking.call(() -> export.write(start.caller().isAdmin() ? null : start.caller().keyId(), start.format(),
                    bytes -> await(context, () -> response.write(Buffer.buffer(bytes)))))
                    .onComplete(ar -> {
                        if (ar.succeeded()) {
                            response.end();
                        } else {
                            // Headers are sent: the only honest signal left is an unfinished response.
                            log.warn("export stopped: {}", ar.cause().getMessage());
                            response.reset();
                        }
                    });
        });
    }

    private record ExportStart(Caller caller, LinkExport.Format format) {}

    /** Runs {@code write} on the request's event loop and waits (on this virtual thread) until it is written. */
    private static void await(Context context, java.util.function.Supplier<Future<Void>> write) throws IOException {
        var done = new java.util.concurrent.CompletableFuture<Void>();
        context.runOnContext(v -> write.get().onComplete(ar -> {
            if (ar.succeeded()) {
                done.complete(null);
            } else {
                done.completeExceptionally(ar.cause());
            }
        }));
        try {
            done.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw new IOException("the client went away: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private Caller keyed(List<String> authorization, String what) {
        Caller caller = auth.authenticate(authorization);
        if (caller.isAnonymous()) {
            throw Problem.unauthorized(what + " needs an API key: send 'Authorization: Bearer <API key>'", null);
        }
        return caller;
    }

    private static long id(String raw) {
        if (raw != null && raw.matches("[0-9]{1,18}")) {
            return Long.parseLong(raw);
        }
        throw Problem.notFound("no job with id '" + raw + "'");
    }

    private static List<String> authorization(RoutingContext ctx) {
        return ctx.request().headers().getAll(HttpHeaders.AUTHORIZATION);
    }

    private static <T> void respond(RoutingContext ctx, Future<T> result, Consumer<T> onSuccess) {
        result.onComplete(ar -> {
            if (ar.succeeded()) {
                onSuccess.accept(ar.result());
            } else {
                ctx.fail(ar.cause());
            }
        });
    }
}
