package dev.kurz.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Imports as a worker runs them, on each backend. */
abstract class ImportSuite {

    static final int ROWS = 100_000;

    @TempDir
    Path dataDir;

    JobsFixture jobs;

    abstract Map<String, String> backend(Path dataDir);

    @BeforeEach
    void open() {
        jobs = new JobsFixture(backend(dataDir));
    }

    @AfterEach
    void close() {
        jobs.close();
    }

    @Test
    void hundredThousandRowsInEachFormatAreImportedWithTheirCodes() {
        Worker worker = jobs.worker("w1");
        for (ImportFormat format : ImportFormat.values()) {
            String prefix = format.id().replace("-", "") + "-";
            long id = jobs.enqueue(format, ImportFiles.generate(format, prefix, ROWS));
            assertThat(worker.runOnce()).as("a job to run for %s", format).isTrue();
            Job job = jobs.job(id);
            assertThat(job.state()).as("%s: %s", format, job.error()).isEqualTo("done");
            assertThat(job.imported()).as(format.id()).isEqualTo(ROWS);
            assertThat(job.failed()).as("%s: %s", format, jobs.store.errors(id, 3)).isZero();
            assertThat(job.checkpoint()).isEqualTo(ROWS);
            assertThat(jobs.count("SELECT count(*) FROM links WHERE code LIKE ?", prefix + "%")).as(format.id()).isEqualTo(ROWS);
            for (int i : new int[] {0, 4_321, ROWS - 1}) {
                assertThat(jobs.string("SELECT url FROM links WHERE code = ?", prefix + i)).as("%s row %d", format, i)
                        .isEqualTo(ImportFiles.url(prefix, i));
                assertThat(jobs.count("SELECT created_at FROM links WHERE code = ?", prefix + i)).isEqualTo(ImportFiles.CREATED);
                assertThat(jobs.string("SELECT title FROM links WHERE code = ?", prefix + i)).startsWith("Title " + i);
            }
            assertThat(jobs.count("SELECT count(*) FROM job_inputs WHERE job_id = ?", id)).as("input dropped when done").isZero();
        }
        assertThat(jobs.string("SELECT title FROM links WHERE code = 'yourlssql-7'")).isEqualTo("Title 7 'quoted'");
        assertThat(worker.runOnce()).isFalse();
    }

    @Test
    void badRowsAreReportedWithTheirLineNumbersAndTheRestImported() {
        jobs.execute("INSERT INTO links (code, url, owner_key_id, created_at, updated_at, redirect_status, disabled, clicks) "
                + "VALUES ('taken', 'https://other.example/', 0, 1, 1, 302, " + (this instanceof SqliteImportTest ? "0" : "false") + ", 0)");
        String file = """
                url,alias,title,created,expires
                https://example.com/1,ok-1,"A title
                over two lines",2021-05-01,
                not a url,bad-1,,,
                https://example.com/3,taken,,,
                https://other.example/,taken,,,
                https://example.com/5,api,,,
                https://example.com/6,,no alias,,
                https://example.com/7,ok-7,,yesterday,
                ,ok-8,,,
                https://example.com/9,has space,,,
                https://example.com/10,ok-1,,,
                http://kurz.test/loop,ok-11,,,
                https://example.com/12,ok-12,,2022-01-01 10:00:00,2030-01-01T00:00:00Z
                """;
        long id = jobs.enqueue(ImportFormat.CSV, file.getBytes(StandardCharsets.UTF_8));
        assertThat(jobs.worker("w1").runOnce()).isTrue();

        Job job = jobs.job(id);
        assertThat(job.state()).isEqualTo("done");
        assertThat(job.checkpoint()).isEqualTo(12);
        assertThat(job.imported()).as("ok-1, example.com/6, ok-12").isEqualTo(3);
        assertThat(job.existing()).as("'taken' with its own target").isEqualTo(1);
        assertThat(job.failed()).isEqualTo(8);
        var errors = jobs.store.errors(id, 100);
        assertThat(errors).extracting(RowError::line).containsExactly(4L, 5L, 7L, 9L, 10L, 11L, 12L, 13L);
        assertThat(errors.get(0).message()).contains("url");
        assertThat(errors.get(1).message()).contains("'taken'").contains("another URL");
        assertThat(errors.get(2).message()).contains("reserved");
        assertThat(errors.get(3).message()).contains("yesterday");
        assertThat(errors.get(4).message()).contains("url is missing");
        assertThat(errors.get(5).message()).contains("has space");
        assertThat(errors.get(6).message()).as("a second row for a code in the same file").contains("'ok-1'");
        assertThat(errors.get(7).message()).contains("loop");

        assertThat(jobs.string("SELECT title FROM links WHERE code = 'ok-1'")).isEqualTo("A title over two lines");
        assertThat(jobs.count("SELECT created_at FROM links WHERE code = 'ok-1'")).isEqualTo(1_619_827_200_000L);
        assertThat(jobs.count("SELECT expires_at FROM links WHERE code = 'ok-12'")).isEqualTo(1_893_456_000_000L);
        assertThat(jobs.string("SELECT code FROM links WHERE url = 'https://example.com/6'")).matches("[0-9A-Za-z]{7}");
        assertThat(jobs.string("SELECT url FROM links WHERE code = 'taken'")).isEqualTo("https://other.example/");
    }

    @Test
    void aFileWithoutTheRequiredColumnFailsTheJobWithAReason() {
        long id = jobs.enqueue(ImportFormat.CSV, "link,name\nhttps://example.com/,x\n".getBytes(StandardCharsets.UTF_8));
        assertThat(jobs.worker("w1").runOnce()).isTrue();
        Job job = jobs.job(id);
        assertThat(job.state()).isEqualTo("failed");
        assertThat(job.error()).contains("'url' column").contains("link, name");
        assertThat(jobs.count("SELECT count(*) FROM links")).isZero();
    }
}
