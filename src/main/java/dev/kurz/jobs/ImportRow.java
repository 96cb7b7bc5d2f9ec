package dev.kurz.jobs;

/**
 * One input record as a format read it, not yet validated: either a link's raw fields or, when
 * the record could not be read into fields, {@code error}. Absent fields are null.
 *
 * @param line              the record's first line in the file (1-based), for error reports
 * @param code              the short code to keep (alias); null = generate one
 * @param created           creation time in epoch ms; null = the time of the import
 * @param passwordProtected the exported link had a password (never exported itself)
 */
record ImportRow(long line, String code, String url, String title, Long created, Long expires, Long maxClicks,
                 Integer redirectStatus, Boolean disabled, boolean passwordProtected, String error) {

    static ImportRow link(long line, String code, String url, String title, Long created, Long expires) {
        return new ImportRow(line, code, url, title, created, expires, null, null, null, false, null);
    }

    static ImportRow invalid(long line, String error) {
        return new ImportRow(line, null, null, null, null, null, null, null, null, false, error);
    }
}
