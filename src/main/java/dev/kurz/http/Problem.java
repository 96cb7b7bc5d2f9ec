package dev.kurz.http;

import java.util.List;
import java.util.Map;

/**
 * A request kurz refuses or cannot serve, carrying what the client needs to know. Thrown by any
 * feature; {@link Problems} is the one place that turns it into an RFC 9457
 * {@code application/problem+json} response.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc9457">RFC 9457</a>
 */
public final class Problem extends RuntimeException {

    /** One invalid input field and what is wrong with it. */
    public record FieldError(String field, String message) {}

    private final int status;
    private final String type;
    private final String title;
    private final List<FieldError> errors;
    private final Integer retryAfterSeconds;
    private final Map<String, String> headers;

    private Problem(int status, String type, String title, String detail, List<FieldError> errors,
                    Integer retryAfterSeconds) {
        this(status, type, title, detail, errors, retryAfterSeconds, Map.of());
    }

    private Problem(int status, String type, String title, String detail, List<FieldError> errors,
                    Integer retryAfterSeconds, Map<String, String> headers) {
        super(detail, null, false, false); // no stack trace: these are answers, not bugs
        this.status = status;
        this.type = "urn:kurz:problem:" + type;
        this.title = title;
        this.errors = List.copyOf(errors);
        this.retryAfterSeconds = retryAfterSeconds;
        this.headers = Map.copyOf(headers);
    }

    public static Problem invalid(List<FieldError> errors) {
        String detail = errors.size() == 1
                ? errors.getFirst().field() + " " + errors.getFirst().message()
                : errors.size() + " fields are invalid";
        return new Problem(400, "invalid-field", "Invalid field", detail, errors, null);
    }

    public static Problem invalid(String field, String message) {
        return invalid(List.of(new FieldError(field, message)));
    }

    public static Problem badJson(String detail) {
        return new Problem(400, "bad-json", "Malformed JSON", detail, List.of(), null);
    }

    public static Problem notFound(String detail) {
        return new Problem(404, "not-found", "Not Found", detail, List.of(), null);
    }

    public static Problem gone(String detail) {
        return new Problem(410, "gone", "Gone", detail, List.of(), null);
    }

    public static Problem aliasTaken(String alias) {
        return new Problem(409, "alias-taken", "Alias taken",
                "the alias '" + alias + "' is already in use", List.of(new FieldError("alias", "is already in use")),
                null);
    }

    public static Problem methodNotAllowed(String method, String path) {
        return new Problem(405, "method-not-allowed", "Method Not Allowed",
                method + " is not supported on " + path, List.of(), null);
    }

    public static Problem unsupportedMediaType(String accepted) {
        return new Problem(415, "unsupported-media-type", "Unsupported Media Type",
                "the request body must be " + accepted, List.of(), null);
    }

    public static Problem tooLarge(int limitBytes) {
        return new Problem(413, "body-too-large", "Content Too Large",
                "the request body is larger than " + limitBytes + " bytes", List.of(), null);
    }

    /** A body over a limit that {@code detail} names (an import upload, a bulk request). */
    public static Problem tooLarge(String detail) {
        return new Problem(413, "body-too-large", "Content Too Large", detail, List.of(), null);
    }

    /**
     * The request needs an API key, or its key is not valid. {@code error} is the RFC 6750 error
     * code for {@code WWW-Authenticate}: {@code invalid_request} (a malformed header) or
     * {@code invalid_token}; null when no credentials were sent at all.
     */
    public static Problem unauthorized(String detail, String error) {
        String challenge = "Bearer realm=\"kurz\"" + (error == null ? "" : ", error=\"" + error + "\"");
        return new Problem(401, "unauthorized", "Unauthorized", detail, List.of(), null,
                Map.of("WWW-Authenticate", challenge));
    }

    /** The caller is known but may not do this (someone else's link, an admin-only change). */
    public static Problem forbidden(String detail) {
        return new Problem(403, "forbidden", "Forbidden", detail, List.of(), null);
    }

    /** A password-protected link asked for without its password. */
    public static Problem passwordRequired(String code) {
        return new Problem(403, "password-required", "Password required",
                "this link is password-protected; POST its password as the form field 'password' to /" + code,
                List.of(), null);
    }

    /** Over a rate limit; {@code headers} carry the {@code RateLimit-*} fields. */
    public static Problem tooManyRequests(String detail, int retryAfterSeconds, Map<String, String> headers) {
        return new Problem(429, "rate-limited", "Too Many Requests", detail, List.of(), retryAfterSeconds, headers);
    }

    public static Problem unavailable(String detail, int retryAfterSeconds) {
        return new Problem(503, "unavailable", "Service Unavailable", detail, List.of(), retryAfterSeconds);
    }

    public static Problem internal() {
        return new Problem(500, "internal", "Internal Server Error",
                "an unexpected error occurred; it has been logged", List.of(), null);
    }

    public static Problem ofStatus(int status) {
        return switch (status) {
            case 400 -> badJson("the request could not be parsed");
            case 404 -> notFound("no such resource");
            case 413 -> new Problem(413, "body-too-large", "Content Too Large", "the request is too large", List.of(), null);
            case 431 -> new Problem(431, "headers-too-large", "Request Header Fields Too Large",
                    "the request headers are too large", List.of(), null);
            default -> status >= 500 ? internal()
                    : new Problem(status, "http-" + status, "HTTP " + status, "the request was refused", List.of(), null);
        };
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    public String detail() {
        return getMessage();
    }

    public List<FieldError> errors() {
        return errors;
    }

    /** Extra response headers this answer needs ({@code WWW-Authenticate}, {@code RateLimit-*}). */
    public Map<String, String> headers() {
        return headers;
    }

    /** Seconds for a {@code Retry-After} header, or null for none. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
