package dev.kurz.http;

import java.util.List;

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

    private Problem(int status, String type, String title, String detail, List<FieldError> errors,
                    Integer retryAfterSeconds) {
        super(detail, null, false, false); // no stack trace: these are answers, not bugs
        this.status = status;
        this.type = "urn:kurz:problem:" + type;
        this.title = title;
        this.errors = List.copyOf(errors);
        this.retryAfterSeconds = retryAfterSeconds;
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

    /** Seconds for a {@code Retry-After} header, or null for none. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
