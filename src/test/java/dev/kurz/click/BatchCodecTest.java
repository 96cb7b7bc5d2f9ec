package dev.kurz.click;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchCodecTest {

    @Test
    void aBatchSurvivesTheJournalRowUnchanged() {
        var batch = new ClickBatch("node-a", 42, 1_700_000_000_000L,
                List.of(new HourlyClicks(1, 480_000, 5, 2), new HourlyClicks(Long.MAX_VALUE, 0, 0, 1L << 40)),
                List.of(new DimClicks(1, 20_000, Dimension.REFERRER, "bücher.example", 3),
                        new DimClicks(1, 20_000, Dimension.COUNTRY, "DE", 3),
                        new DimClicks(7, 20_001, Dimension.BROWSER, "bücher.example", 128)),
                List.of(new OrphanVisits(20_000, "nope", 9), new OrphanVisits(20_000, "😀", 1)),
                Map.of(1L, 5L, Long.MAX_VALUE, 0L));

        byte[] bytes = BatchCodec.encode(batch);
        assertThat(BatchCodec.decode("node-a", 42, 1_700_000_000_000L, bytes)).isEqualTo(batch);
    }

    @Test
    void repeatedValuesAreStoredOnceSoARowTakesAFewBytes() {
        var dims = new java.util.ArrayList<DimClicks>();
        var hourly = new java.util.ArrayList<HourlyClicks>();
        for (long link = 1; link <= 10_000; link++) {
            hourly.add(new HourlyClicks(link, 493_000, 5, 0));
            for (Dimension d : List.of(Dimension.REFERRER, Dimension.BROWSER, Dimension.OS, Dimension.DEVICE)) {
                dims.add(new DimClicks(link, 20_541, d, "news.ycombinator.com", 5));
            }
        }
        var batch = new ClickBatch("n", 1, 0, hourly, dims, List.of(), Map.of());
        assertThat(BatchCodec.encode(batch).length).isLessThan(10 * batch.rows());
    }

    @Test
    void aRowOfAnotherFormatVersionIsRefusedByName() {
        assertThatThrownBy(() -> BatchCodec.decode("node-b", 7, 0, new byte[] {2, 0}))
                .hasMessageContaining("node-b/7").hasMessageContaining("version 2");
    }
}
