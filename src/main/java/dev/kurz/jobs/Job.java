package dev.kurz.jobs;

/**
 * A job as stored in the {@code jobs} table. Times are epoch milliseconds; null means "not yet".
 *
 * @param checkpoint input records done (an import resumes after them)
 * @param bytesDone  input bytes read up to the checkpoint, for progress
 * @param existing   records whose code already existed with the same target (skipped, not errors)
 */
public record Job(
        long id,
        String kind,
        String state,
        long ownerKeyId,
        String format,
        long linkOwner,
        long inputBytes,
        long bytesDone,
        long checkpoint,
        long imported,
        long existing,
        long failed,
        String claimedBy,
        Long leaseUntil,
        int attempts,
        String error,
        long createdAt,
        Long startedAt,
        long updatedAt,
        Long finishedAt) {

    public static final String IMPORT = "import";
    public static final String PURGE = "purge";

    public boolean finished() {
        return state.equals("done") || state.equals("failed");
    }
}
