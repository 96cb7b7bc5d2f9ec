package dev.kurz.link;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kurz.http.Problem;
import dev.kurz.http.Problem.FieldError;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the JSON bodies of the link API into validated values. Every field is checked, all
 * problems are reported at once (per field), and unknown fields are refused rather than ignored:
 * a typo like {@code "expireAt"} must not silently create a link that never expires.
 */
final class LinkRequests {

    private LinkRequests() {}

    static final Set<Integer> REDIRECT_STATUSES = Set.of(301, 302, 307, 308);
    static final int MAX_TITLE = 512;
    static final int MIN_PASSWORD = 4;
    static final int MAX_PASSWORD = 256;
    private static final Set<String> CREATE_FIELDS =
            Set.of("url", "alias", "expiresAt", "maxClicks", "redirectStatus", "title", "forceNew", "password");
    private static final Set<String> PATCH_FIELDS =
            Set.of("url", "title", "expiresAt", "maxClicks", "redirectStatus", "disabled", "password");

    /**
     * A validated create request; the URL is still raw (the service normalises it). {@code password}
     * is the plain text (the service hashes it) or null; {@code toString} hides it.
     */
    record Create(String url, String alias, Long expiresAt, Long maxClicks, int redirectStatus, String title,
                  boolean forceNew, String password) {
        @Override
        public String toString() {
            return "Create[url=" + url + ", alias=" + alias + ", password=" + (password == null ? "none" : "***") + "]";
        }
    }

    /**
     * A validated PATCH: a field is changed only if its {@code *Set} flag is true; for nullable
     * fields a null value clears it (JSON merge-patch semantics). A null {@code password} with
     * {@code passwordSet} removes the password.
     */
    record Patch(String url, boolean titleSet, String title, boolean expiresAtSet, Long expiresAt,
                 boolean maxClicksSet, Long maxClicks, Integer redirectStatus, Boolean disabled,
                 boolean passwordSet, String password) {

        @Override
        public String toString() {
            return "Patch[url=" + url + ", disabled=" + disabled + ", password=" + (passwordSet ? "***" : "unchanged") + "]";
        }

        Link applyTo(Link l, String normalizedUrl, long now) {
            return new Link(l.id(), l.code(), normalizedUrl != null ? normalizedUrl : l.url(),
                    titleSet ? title : l.title(), l.ownerKeyId(), l.createdAt(), now,
                    expiresAtSet ? expiresAt : l.expiresAt(), maxClicksSet ? maxClicks : l.maxClicks(),
                    redirectStatus != null ? redirectStatus : l.redirectStatus(),
                    disabled != null ? disabled : l.disabled(),
                    passwordSet ? password != null : l.passwordProtected(), l.clicks());
        }
    }

    static Create create(JsonNode body, long now) {
        var r = new Reader(body, CREATE_FIELDS);
        String url = r.string("url", true);
        String alias = r.string("alias", false);
        if (alias != null) {
            String problem = ShortCodes.aliasProblem(alias);
            if (problem != null) {
                r.error("alias", problem);
            }
        }
        Long expiresAt = r.futureInstant("expiresAt", now);
        Long maxClicks = r.positiveLong("maxClicks");
        Integer status = r.redirectStatus();
        String title = r.title();
        Boolean forceNew = r.bool("forceNew");
        String password = r.password();
        r.finish();
        return new Create(url, alias, expiresAt, maxClicks, status == null ? 302 : status, title,
                forceNew != null && forceNew, password);
    }

    static Patch patch(JsonNode body, long now) {
        var r = new Reader(body, PATCH_FIELDS);
        String url = r.string("url", false);
        if (r.has("url") && url == null && !r.hasError("url")) {
            r.error("url", "must not be null");
        }
        String title = r.title();
        Long expiresAt = r.futureInstant("expiresAt", now);
        Long maxClicks = r.positiveLong("maxClicks");
        Integer status = r.redirectStatus();
        if (r.has("redirectStatus") && status == null && !r.hasError("redirectStatus")) {
            r.error("redirectStatus", "must not be null");
        }
        Boolean disabled = r.bool("disabled");
        if (r.has("disabled") && disabled == null && !r.hasError("disabled")) {
            r.error("disabled", "must not be null");
        }
        String password = r.password();
        r.finish();
        return new Patch(url, r.has("title"), title, r.has("expiresAt"), expiresAt, r.has("maxClicks"), maxClicks,
                status, disabled, r.has("password"), password);
    }

    /** Field access that records errors instead of throwing at the first one. */
    private static final class Reader {
        private final JsonNode body;
        private final List<FieldError> errors = new ArrayList<>();

        Reader(JsonNode body, Set<String> known) {
            if (body == null || !body.isObject()) {
                throw Problem.badJson("the request body must be a JSON object");
            }
            this.body = body;
            for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
                String name = it.next().getKey();
                if (!known.contains(name)) {
                    error(name, "is not a known field (allowed: " + String.join(", ", known.stream().sorted().toList()) + ")");
                }
            }
        }

        boolean has(String field) {
            return body.has(field);
        }

        boolean hasError(String field) {
            return errors.stream().anyMatch(e -> e.field().equals(field));
        }

        void error(String field, String message) {
            errors.add(new FieldError(field, message));
        }

        void finish() {
            if (!errors.isEmpty()) {
                throw Problem.invalid(errors);
            }
        }

        String string(String field, boolean required) {
            JsonNode n = body.get(field);
            if (n == null || n.isNull()) {
                if (required) {
                    error(field, "is required");
                }
                return null;
            }
            if (!n.isTextual()) {
                error(field, "must be a string");
                return null;
            }
            return n.textValue();
        }

        String title() {
            String t = string("title", false);
            if (t == null) {
                return null;
            }
            if (t.length() > MAX_TITLE) {
                error("title", "must be at most " + MAX_TITLE + " characters long");
            } else if (t.chars().anyMatch(Character::isISOControl)) { // C0, DEL and C1
                error("title", "must not contain control characters");
            } else if (UrlPolicy.hasUnpairedSurrogate(t)) {
                error("title", "must be valid Unicode text (it has an unpaired surrogate)");
            }
            return t;
        }

        /** The error messages never echo the password. */
        String password() {
            JsonNode n = body.get("password");
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isTextual()) {
                error("password", "must be a string");
                return null;
            }
            String p = n.textValue();
            if (p.length() < MIN_PASSWORD || p.length() > MAX_PASSWORD) {
                error("password", "must be " + MIN_PASSWORD + " to " + MAX_PASSWORD + " characters long");
            } else if (p.chars().anyMatch(Character::isISOControl)) {
                error("password", "must not contain control characters");
            } else if (UrlPolicy.hasUnpairedSurrogate(p)) {
                error("password", "must be valid Unicode text (it has an unpaired surrogate)");
            } else {
                return p;
            }
            return null;
        }

        Boolean bool(String field) {
            JsonNode n = body.get(field);
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isBoolean()) {
                error(field, "must be true or false");
                return null;
            }
            return n.booleanValue();
        }

        Long positiveLong(String field) {
            JsonNode n = body.get(field);
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 1 || n.longValue() > 1L << 53) {
                error(field, "must be a whole number from 1 to 2^53");
                return null;
            }
            return n.longValue();
        }

        Integer redirectStatus() {
            JsonNode n = body.get("redirectStatus");
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isIntegralNumber() || !n.canConvertToInt() || !REDIRECT_STATUSES.contains(n.intValue())) {
                error("redirectStatus", "must be one of 301, 302, 307, 308");
                return null;
            }
            return n.intValue();
        }

        Long futureInstant(String field, long now) {
            String s = string(field, false);
            if (s == null) {
                return null;
            }
            try {
                long at = Instant.parse(s).toEpochMilli();
                if (at <= now) {
                    error(field, "must be in the future");
                    return null;
                }
                return at;
            } catch (DateTimeParseException | ArithmeticException e) {
                error(field, "must be an ISO-8601 instant such as 2030-01-31T12:00:00Z");
                return null;
            }
        }
    }
}
