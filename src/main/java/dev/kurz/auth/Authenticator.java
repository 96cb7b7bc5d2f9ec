package dev.kurz.auth;

import dev.kurz.http.Problem;
import dev.kurz.http.Blocking;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a request's {@code Authorization} header into a {@link Caller}: no header is an anonymous
 * caller; {@code Bearer <key>} with a valid key is that key's caller; anything else is a 401
 * problem with a {@code WWW-Authenticate} challenge (RFC 6750). Keys are never logged or echoed.
 *
 * <p>Thread-safe. {@link #authenticate} reads the database: call from a virtual thread.
 */
public final class Authenticator {

    static final int MAX_HEADER = 256;
    // RFC 6750 b64token after the scheme; the scheme itself is case-insensitive (RFC 9110 11.1).
    private static final Pattern BEARER = Pattern.compile("(?i:bearer) +([A-Za-z0-9._~+/-]+=*) *");

    private final ApiKeys keys;

    public Authenticator(ApiKeys keys) {
        this.keys = keys;
    }

    /** The caller behind {@code authorization} (every value of the header, usually 0 or 1). */
    public Caller authenticate(List<String> authorization) {
        if (authorization.isEmpty()) {
            return Caller.ANONYMOUS;
        }
        if (authorization.size() > 1) {
            throw Problem.unauthorized("send exactly one Authorization header", "invalid_request");
        }
        String value = authorization.getFirst();
        if (value.length() > MAX_HEADER) {
            throw Problem.unauthorized("the Authorization header is longer than " + MAX_HEADER + " characters",
                    "invalid_request");
        }
        Matcher m = BEARER.matcher(value);
        if (!m.matches()) {
            throw Problem.unauthorized("use 'Authorization: Bearer <API key>'", "invalid_request");
        }
        return keys.authenticate(m.group(1)).orElseThrow(() ->
                Problem.unauthorized("the API key is not valid (unknown, mistyped or revoked)", "invalid_token"));
    }

    /**
     * A route handler that lets only admin keys through (401 without a key, 403 with a user key).
     * The key lookup may block, so it runs on a virtual thread.
     */
    public Handler<RoutingContext> adminOnly(Blocking blocking) {
        return ctx -> {
            List<String> authorization = ctx.request().headers().getAll("Authorization");
            blocking.call(() -> {
                Caller caller = authenticate(authorization);
                if (caller.isAnonymous()) {
                    throw Problem.unauthorized("this needs an admin API key", null);
                }
                if (!caller.isAdmin()) {
                    throw Problem.forbidden("this needs an admin API key; yours is a user key");
                }
                return caller;
            }).onComplete(ar -> {
                if (ar.succeeded()) {
                    ctx.next();
                } else {
                    ctx.fail(ar.cause());
                }
            });
        };
    }
}
