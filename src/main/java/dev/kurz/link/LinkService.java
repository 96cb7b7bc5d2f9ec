package dev.kurz.link;

import dev.kurz.auth.Caller;
import dev.kurz.auth.PasswordHasher;
import dev.kurz.click.ClickRecorder;
import dev.kurz.http.Problem;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The link use cases: create, read, edit, delete, list. Validation problems and missing links are
 * thrown as {@link Problem}; database failures as {@link dev.kurz.db.StoreException}.
 *
 * <p>Ownership: a link belongs to the key that created it ({@link Caller#keyId()}, 0 for
 * anonymous). Admins manage every link; users read, edit, delete and list only their own;
 * anonymous callers may create (if {@code KURZ_ANONYMOUS_CREATE} allows) and read anonymous links
 * without a password, nothing else, so nobody can change a link nobody owns. Only admins may set
 * {@code disabled} (abuse takedown), so an owner can't undo a takedown.
 *
 * <p>Every method blocks on the store: call from a virtual thread.
 */
public final class LinkService {

    /** The result of a create: the link, and whether it already existed (a repeated request). */
    public record Created(Link link, boolean existed) {}

    /** One page of links, newest first; {@code nextCursor} is null on the last page. */
    public record Page(List<Link> links, String nextCursor) {}

    // How often a generated code may turn out to be taken by an alias before we give up. Only
    // 7-10 character base62 aliases can collide with generated codes, so one retry is already rare.
    private static final int MAX_CODE_ATTEMPTS = 32;

    private final LinkStore store;
    private final CodeMinter minter;
    private final UrlPolicy urls;
    private final ClickRecorder clicks;
    private final LinkChangeListener listener;
    private final PasswordHasher passwords;
    private final boolean anonymousCreate;
    private final Clock clock;

    public LinkService(LinkStore store, CodeMinter minter, UrlPolicy urls, ClickRecorder clicks,
                       LinkChangeListener listener, PasswordHasher passwords, boolean anonymousCreate, Clock clock) {
        this.store = store;
        this.minter = minter;
        this.urls = urls;
        this.clicks = clicks;
        this.listener = listener;
        this.passwords = passwords;
        this.anonymousCreate = anonymousCreate;
        this.clock = clock;
    }

    /** Throws unless {@code caller} may create links at all (checked before the body is read). */
    void checkMayCreate(Caller caller) {
        if (caller.isAnonymous() && !anonymousCreate) {
            throw Problem.unauthorized("this instance does not allow anonymous links; send 'Authorization: Bearer <API key>'",
                    null);
        }
    }

    /** Throws 401 for anonymous callers: {@code what} needs an API key. */
    static void requireKey(Caller caller, String what) {
        if (caller.isAnonymous()) {
            throw Problem.unauthorized(what + " needs an API key: send 'Authorization: Bearer <API key>'", null);
        }
    }

    Created create(Caller caller, LinkRequests.Create request) {
        checkMayCreate(caller);
        long ownerKeyId = caller.keyId();
        String url = urls.normalize("url", request.url());
        // Hashing is slow on purpose: only after everything cheap has been checked.
        String passwordHash = request.password() == null ? null : passwords.hash(request.password());
        long now = clock.millis();
        // A repeat with a password can't be recognised without keeping a fast hash of the password
        // (which would undo the slow one), so password links are never deduplicated.
        String dedupKey = request.alias() == null && !request.forceNew() && passwordHash == null
                ? dedupKey(url, request) : null;
        // No "does it exist?" read first: the insert's unique (owner, dedup key) index answers
        // that, and a repeat (the rare case) costs one minted code; a new link, one round trip less.
        for (int attempt = 0; attempt < MAX_CODE_ATTEMPTS; attempt++) {
            String code = request.alias() != null ? request.alias() : minter.next();
            if (request.alias() == null && ShortCodes.isReserved(code)) {
                continue; // a generated "metrics" would be shadowed by kurz's own path
            }
            var row = new NewLink(code, url, dedupKey, ownerKeyId, request.title(), now, request.expiresAt(),
                    request.maxClicks(), request.redirectStatus(), passwordHash);
            Optional<Link> inserted = store.insert(row);
            if (inserted.isPresent()) {
                listener.created(code); // drops cached "unknown code" answers
                return new Created(inserted.get(), false);
            }
            if (dedupKey != null) {
                Optional<Link> existing = withLiveClicks(() -> store.findByDedupKey(ownerKeyId, dedupKey));
                if (existing.isPresent()) {
                    return new Created(existing.get(), true);
                }
            }
            if (request.alias() != null) {
                throw Problem.aliasTaken(request.alias());
            }
            // A generated code was already taken by an alias: take the next id.
        }
        throw new IllegalStateException("no free generated code after " + MAX_CODE_ATTEMPTS + " attempts");
    }

    /** The link with its total clicks (stored plus this node's unflushed), if {@code caller} may read it. */
    Link get(Caller caller, String code) {
        Link link = find(code).orElseThrow(() -> notFound(code));
        boolean publicLink = link.ownerKeyId() == Link.ANONYMOUS && !link.passwordProtected();
        if (!publicLink && !caller.manages(link.ownerKeyId())) {
            throw denied(caller, code, "read");
        }
        return link;
    }

    /** Whether {@code password} is the password of link {@code code} (false if it has none). Slow. */
    public boolean checkPassword(String code, String password) {
        Optional<String> hash = store.passwordHash(code);
        return hash.isPresent() && passwords.verify(hash.get(), password);
    }

    /** Like {@link #get} but empty instead of a problem. */
    public Optional<Link> find(String code) {
        // The primary: the API must show what was just written, and totals must match the flushes.
        return withLiveClicks(() -> store.findByCodeOnPrimary(code));
    }

    Link update(Caller caller, String code, LinkRequests.Patch patch) {
        requireKey(caller, "editing a link");
        Link current = find(code).orElseThrow(() -> notFound(code));
        if (!caller.manages(current.ownerKeyId())) {
            throw denied(caller, code, "edit");
        }
        if (patch.disabled() != null && !caller.isAdmin()) {
            throw Problem.forbidden("only admins can disable or re-enable a link");
        }
        String url = patch.url() == null ? null : urls.normalize("url", patch.url());
        String passwordHash = patch.passwordSet() && patch.password() != null ? passwords.hash(patch.password()) : null;
        long now = clock.millis();
        UnaryOperator<Link> change = row -> patch.applyTo(row, url, now);
        Optional<Link> updated;
        try {
            updated = patch.passwordSet() ? store.update(code, change, passwordHash) : store.update(code, change);
        } finally {
            // Also when the store failed: a commit whose outcome is unknown may have landed, and
            // dropping a cache entry is always safe.
            listener.changed(code);
        }
        Link link = updated.orElseThrow(() -> notFound(code));
        // The total as a read takes it (stored plus unflushed, one snapshot against the flusher),
        // after the write rather than around it: a write may wait for locks, and a fold waiting
        // behind it would hold up every reader. Adding the unflushed clicks to the written row
        // instead could count a batch that a fold committed in between twice, or not at all.
        // Should this read fail, the edit has landed all the same; repeating it changes nothing.
        long total = find(code).filter(read -> read.id() == link.id()).map(Link::clicks)
                .orElseThrow(() -> notFound(code)); // deleted since the write
        return link.withClicks(total);
    }

    void delete(Caller caller, String code) {
        requireKey(caller, "deleting a link");
        Link current = find(code).orElseThrow(() -> notFound(code));
        if (!caller.manages(current.ownerKeyId())) {
            throw denied(caller, code, "delete");
        }
        boolean deleted;
        try {
            deleted = store.delete(code);
        } finally {
            listener.changed(code); // see update: a retried delete may find the row already gone
        }
        if (!deleted) {
            throw notFound(code);
        }
    }

    /**
     * Newest first: every link for admins, a user's own links for users; with {@code search}, only
     * links whose code, URL or title contain it.
     */
    Page list(Caller caller, String cursor, String search, int limit) {
        Long before = cursor == null ? null : decodeCursor(cursor); // a malformed query is a 400 for anyone
        requireKey(caller, "listing links");
        Long owner = caller.isAdmin() ? null : caller.keyId();
        List<Link> links = clicks.withUnflushed(() -> store.newestFirst(owner, before, search, limit + 1));
        if (links.size() <= limit) {
            return new Page(links, null);
        }
        List<Link> page = links.subList(0, limit);
        return new Page(List.copyOf(page), encodeCursor(page.getLast().id()));
    }

    /**
     * The link {@code storeRead} reads, with its total clicks: stored plus this node's unflushed,
     * as one snapshot against the flusher (never a batch twice or not at all).
     */
    private Optional<Link> withLiveClicks(Supplier<Optional<Link>> storeRead) {
        return clicks.withUnflushed(() -> storeRead.get().stream().toList()).stream().findFirst();
    }

    private static Problem denied(Caller caller, String code, String action) {
        return caller.isAnonymous()
                ? Problem.unauthorized("to " + action + " link '" + code + "' send the API key that owns it", null)
                : Problem.forbidden("link '" + code + "' belongs to another API key; only its owner or an admin may "
                        + action + " it");
    }

    private static Problem notFound(String code) {
        return Problem.notFound("no link with code '" + code + "'");
    }

    /**
     * Identifies a create request, so an identical retry finds the link it made. Every option is
     * part of the key: the same URL with a different expiry is a different request.
     */
    private static String dedupKey(String url, LinkRequests.Create r) {
        // Fields are separated and absent ones marked with control characters, which no field may
        // contain, so a missing title and the title "null" are different requests.
        String canonical = String.join("\u0001", url, orAbsent(r.expiresAt()), orAbsent(r.maxClicks()),
                String.valueOf(r.redirectStatus()), orAbsent(r.title()));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }

    private static String orAbsent(Object value) {
        return value == null ? "\u0000" : value.toString();
    }

    private static String encodeCursor(long id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("v1:" + id).getBytes(StandardCharsets.US_ASCII));
    }

    private static long decodeCursor(String cursor) {
        try {
            String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
            if (s.startsWith("v1:")) {
                long id = Long.parseLong(s.substring(3));
                if (id > 0) {
                    return id;
                }
            }
        } catch (IllegalArgumentException e) {
            // falls through to the problem below
        }
        throw Problem.invalid("cursor", "is not a cursor this API returned");
    }
}
