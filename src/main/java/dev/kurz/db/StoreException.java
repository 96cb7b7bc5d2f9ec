package dev.kurz.db;

import java.sql.SQLException;

/**
 * The database failed or could not be reached. The HTTP layer answers it with 503 and
 * {@code Retry-After}: the request may be retried, nothing was acknowledged.
 */
public final class StoreException extends RuntimeException {
    public StoreException(SQLException cause) {
        super(cause.getMessage(), cause);
    }
}
